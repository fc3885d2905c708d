#!/usr/bin/env bash
# check-rules.sh proves that every custom Spectral rule can fail, and that the corrections to the
# upstream rules hold. It lints each document under rules/testdata/ (OpenAPI, *.yml) and
# rules/testdata/jsonschema/ (JSON Schema, *.json) with the matching ruleset and compares the set
# of rule codes that fired against the set the document declares:
#   - a YAML document declares it on its first line:  # expect: code-a code-b
#   - a JSON document declares it in its root:         "$comment": "expect: code-a code-b"
# An empty list means the document must pass every rule of ours. Only codes of our own rules
# (restream-*) are compared; the spectral:oas rules are Spectral's business. Finally every rule
# of ours must be expected by at least one document, so a new rule cannot arrive untested.
#
# Run from the repository root (make lint does): bash rules/check-rules.sh
set -euo pipefail

spectral=node_modules/.bin/spectral
[ -x "$spectral" ] || { echo "check-rules: $spectral is missing; run npm ci" >&2; exit 1; }

fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# rule_codes FILE prints the codes of the rules defined in a ruleset (two-space indented keys
# under `rules:` named restream-*).
rule_codes() {
	sed -n 's/^  \(restream-[a-z0-9-]*\):.*$/\1/p' "$1" | sort -u
}

# expected_codes FILE prints the codes a test document declares.
expected_codes() {
	local line
	line=$(grep -m1 -o 'expect:[^"]*' "$1" || true)
	[ -n "$line" ] || { echo "check-rules: $1 declares no 'expect:' line" >&2; return 1; }
	printf '%s\n' ${line#expect:} | sort -u
}

# check RULESET FILES... lints the files in one Spectral run and compares per file.
check() {
	local ruleset=$1
	shift
	local out="$tmp/out.json" rc=0
	"$spectral" lint --quiet --format json --fail-severity hint --ignore-unknown-format \
		--ruleset "$ruleset" "$@" >"$out" 2>"$tmp/err" || rc=$?
	# 0 = nothing found, 1 = results found; anything else means Spectral itself failed.
	if [ "$rc" -gt 1 ]; then
		echo "check-rules: spectral failed (exit $rc) on $ruleset:" >&2
		cat "$tmp/err" "$out" >&2
		exit 1
	fi
	# One "file<TAB>code" line per result of our own rules.
	node -e '
		const results = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "[]");
		for (const r of results) {
			if (String(r.code).startsWith("restream-")) {
				console.log(require("path").relative(process.cwd(), r.source) + "\t" + r.code);
			}
		}' "$out" | sort -u >"$tmp/fired"

	local f
	for f in "$@"; do
		local want got
		want=$(expected_codes "$f") || { fail=1; continue; }
		got=$(awk -F '\t' -v f="$f" '$1 == f { print $2 }' "$tmp/fired" | sort -u)
		if [ "$want" != "$got" ]; then
			echo "FAIL $f" >&2
			echo "  expected: $(echo $want)" >&2
			echo "  fired:    $(echo $got)" >&2
			fail=1
		else
			echo "ok   $f: ${want:+fires $(echo $want)}$([ -n "$want" ] || echo "no rule of ours fires")"
		fi
		printf '%s\n' $want >>"$tmp/covered.$(basename "$ruleset")"
	done

	# Every rule of the ruleset is exercised by at least one broken document.
	local code
	for code in $(rule_codes "$ruleset"); do
		if ! grep -qx "$code" "$tmp/covered.$(basename "$ruleset")" 2>/dev/null; then
			echo "FAIL rule $code of $ruleset has no document under rules/testdata that makes it fire" >&2
			fail=1
		fi
	done
}

check rules/restream-rules.yml rules/testdata/*.yml
check rules/control-rules.yml rules/testdata/control/*.yml
if [ -f rules/restream-jsonschema-rules.yml ]; then
	check rules/restream-jsonschema-rules.yml rules/testdata/jsonschema/*.json
fi

if [ "$fail" -ne 0 ]; then
	echo "check-rules: some rules did not behave as their test documents expect" >&2
	exit 1
fi
echo "check-rules: every rule fires on its broken documents and stays quiet on the good ones"
