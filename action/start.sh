#!/usr/bin/env bash
# Starts restream-mock for the restreamkit action, waits until it answers, and hands the steps
# that follow its URLs and a ready access token (masked in the job's log).
set -euo pipefail
bin="${RUNNER_TEMP:?}/restreamkit/bin/restream-mock"
port="${PORT:?}"
log="$RUNNER_TEMP/restreamkit/restream-mock.log"
# ARGS is a list of flags: split on white space on purpose.
# shellcheck disable=SC2086
nohup "$bin" --addr "127.0.0.1:$port" --streaming-addr "127.0.0.1:$((port + 1))" --chat-addr "127.0.0.1:$((port + 2))" \
  ${ARGS:-} > "$log" 2>&1 &
echo "$!" > "$RUNNER_TEMP/restreamkit/restream-mock.pid"
url="http://127.0.0.1:$port"
if ! curl -fs --retry 30 --retry-delay 1 --retry-connrefused -o /dev/null "$url/__mock/health"; then
  echo "restreamkit action: restream-mock did not start:" >&2
  cat "$log" >&2
  exit 1
fi
scopes=$(printf '"%s",' ${SCOPES:?})
token=$(curl -fsS "$url/__mock/tokens" -H 'Content-Type: application/json' \
  -d "{\"userId\":${MOCK_USER:?},\"scopes\":[${scopes%,}]}" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
if [ -z "$token" ]; then
  echo "restreamkit action: no token for user $MOCK_USER" >&2
  exit 1
fi
echo "::add-mask::$token"
{
  echo "RESTREAM_MOCK_URL=$url"
  echo "RESTREAM_MOCK_STREAMING_URL=ws://127.0.0.1:$((port + 1))/ws"
  echo "RESTREAM_MOCK_CHAT_URL=ws://127.0.0.1:$((port + 2))/ws"
  echo "RESTREAM_MOCK_TOKEN=$token"
} >> "${GITHUB_ENV:?}"
{
  echo "url=$url"
  echo "token=$token"
} >> "${GITHUB_OUTPUT:?}"
echo "restream-mock is up on $url (log: $log)"
