#!/usr/bin/env bash
# Load test: restream-mock against a bare net/http handler serving the same bytes, in one run.
# Prints requests/s of each and their ratio, the mock's start-up time to its first served request,
# and its idle resident memory. Needs wrk (installed from Debian when missing and run as root).
#
#   bench/load.sh [duration, default 10s] [connections, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
conns=${2:-50}
mock_addr=127.0.0.1:18180
bare_addr=127.0.0.1:18181
source bench/lib.sh
need_wrk

go build -o "$work/restream-mock" ./cmd/restream-mock
go build -o "$work/barehandler" ./bench/barehandler

# Start-up: from exec to the first answered request.
start=$(date +%s%N)
"$work/restream-mock" --addr "$mock_addr" --streaming-addr 127.0.0.1:18182 --chat-addr 127.0.0.1:18183 --log-level warn >"$work/mock.out" 2>&1 &
pids+=($!)
mock_pid=$!
until curl -sf "http://$mock_addr/__mock/health" >/dev/null; do sleep 0.002; done
ready=$(date +%s%N)
startup_ms=$(( (ready - start) / 1000000 ))
sleep 1
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$mock_pid/status")

token=$(sed -n 's/^Access token[^:]*: //p' "$work/mock.out")
path=/v2/user/channel/all
curl -sf -H "Authorization: Bearer $token" "http://$mock_addr$path" >"$work/body.json"
"$work/barehandler" --addr "$bare_addr" --body "$work/body.json" &
pids+=($!)
until curl -sf "http://$bare_addr/" >/dev/null; do sleep 0.01; done

rps() { awk '/Requests\/sec/ {print $2}'; }
echo "wrk: 2 threads, $conns connections, $duration, GET $path ($(wc -c <"$work/body.json") bytes)"
bare=$(wrk -t2 -c"$conns" -d"$duration" "http://$bare_addr$path" | rps)
mock=$(wrk -t2 -c"$conns" -d"$duration" -H "Authorization: Bearer $token" "http://$mock_addr$path" | rps)
awk -v b="$bare" -v m="$mock" -v s="$startup_ms" -v r="$rss_kb" 'BEGIN {
  printf "bare net/http handler: %10.0f requests/s\n", b
  printf "restream-mock:         %10.0f requests/s\n", m
  printf "ratio mock/bare:       %10.1f %%\n", 100*m/b
  printf "start-up to first request: %d ms\n", s
  printf "idle RSS after start-up:   %.1f MiB\n", r/1024
}'
