#!/usr/bin/env bash
# Runs every Go fuzz target of the module (func FuzzXxx in any package) for a while each, one after
# the other, and prints one line per target with its executions. A crash fails the run, and Go
# writes the failing input to the package's testdata/fuzz/FuzzXxx/ so it becomes a regression seed.
#
#   scripts/fuzz.sh [time per target, default 5s]     (make fuzz FUZZTIME=5m for a long run)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-5s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# `go test -list` prints a package's matching tests, then "ok <package>": pair them up.
targets=$(go test -list '^Fuzz' ./... | awk '/^Fuzz/ {t[n++]=$1} /^ok / {for (i=0;i<n;i++) print $2, t[i]; n=0}') ||
  { echo "listing the fuzz targets failed: go test -list '^Fuzz' ./... says why" >&2; exit 1; }
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }
count=0
# fuzz runs one target; it fails only on a real finding. Go's fuzz coordinator can end a run on a
# loaded machine with "context deadline exceeded" and no failing input written (a known race of
# the go command, not of the code under test): such a run is tried once more.
fuzz() {
  go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" "$1" >"$log" 2>&1 </dev/null && return 0
  grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log" || return 1
  echo "retrying $2: the fuzz coordinator timed out without a finding" >&2
  go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" "$1" >"$log" 2>&1 </dev/null
}

while read -r pkg target; do
  count=$((count + 1))
  if ! fuzz "$pkg" "$target"; then
    cat "$log"
    echo "FAIL: $pkg $target" >&2
    exit 1
  fi
  if grep -q 'no tests to fuzz' "$log"; then
    echo "FAIL: $pkg $target did not run" >&2
    exit 1
  fi
  # A target with a large corpus may spend a short run replaying it, before any new input.
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  printf '%-60s %-40s %s, 0 crashes\n' "$pkg" "$target" "$([ -n "$execs" ] && echo "$execs execs" || echo "its corpus replayed")"
done <<<"$targets"
echo "$count fuzz targets, $fuzztime each"
