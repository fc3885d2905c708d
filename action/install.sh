#!/usr/bin/env bash
# Installs restreamkit for the restreamkit action: downloads the release VERSION from RELEASE_URL
# and checks it against the release's SHA256SUMS, or builds it from the action's checkout when
# VERSION is "source". Puts restream-mock, restream-proxy, restream-gateway and restream-check on the
# job's PATH.
set -euo pipefail
dir="${RUNNER_TEMP:?}/restreamkit"
mkdir -p "$dir/bin"
if [ "${VERSION:?}" = source ]; then
  (cd "${GITHUB_ACTION_PATH:?}" && CGO_ENABLED=0 go build -trimpath -o "$dir/bin/" ./cmd/restream-mock ./cmd/restream-proxy ./cmd/restream-gateway ./cmd/restream-check)
else
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "restreamkit action: runners on $(uname -s) are not supported; use version: source" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "restreamkit action: no release for $(uname -m)" >&2; exit 1 ;;
  esac
  archive="restreamkit_${VERSION}_${os}_${arch}.tar.gz"
  base="${RELEASE_URL:?}/${VERSION}"
  curl -fsSL --retry 3 -o "$dir/$archive" "$base/$archive"
  curl -fsSL --retry 3 -o "$dir/SHA256SUMS" "$base/SHA256SUMS"
  want=$(grep "  $archive\$" "$dir/SHA256SUMS" | cut -d' ' -f1)
  got=$( (sha256sum "$dir/$archive" 2>/dev/null || shasum -a 256 "$dir/$archive") | cut -d' ' -f1)
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "restreamkit action: $archive does not match the release's SHA256SUMS" >&2
    exit 1
  fi
  tar -xzf "$dir/$archive" -C "$dir"
  cp "$dir/${archive%.tar.gz}"/restream-* "$dir/bin/"
fi
echo "$dir/bin" >> "${GITHUB_PATH:?}"
"$dir/bin/restream-mock" --version
