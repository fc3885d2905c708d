#!/usr/bin/env bash
# Load test of restream-proxy: the same wrk load, in one run, against (a) a bare
# httputil.ReverseProxy and (b) restream-proxy validating requests and responses, both in front of
# the same upstream (a bare handler serving a recorded GET /v2/user/channel/all answer).
# Prints requests/s of each, their ratio, and p50/p99 latency of each.
#
#   bench/proxy.sh [duration, default 10s] [connections, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
conns=${2:-50}
up_addr=127.0.0.1:18290
bare_addr=127.0.0.1:18291
proxy_addr=127.0.0.1:18292
mock_addr=127.0.0.1:18293
source bench/lib.sh
need_wrk
for cmd in restream-mock restream-proxy; do go build -o "$work/$cmd" "./cmd/$cmd"; done
go build -o "$work/barehandler" ./bench/barehandler
go build -o "$work/bareproxy" ./bench/bareproxy

# Record the mock's answer, then serve it from the bare handler as the upstream.
"$work/restream-mock" --addr "$mock_addr" --streaming-addr "" --chat-addr "" --log-level warn >"$work/mock.out" 2>&1 &
pids+=($!)
wait_for "http://$mock_addr/__mock/health"
token=$(sed -n 's/^Access token[^:]*: //p' "$work/mock.out")
path=/v2/user/channel/all
curl -sf -H "Authorization: Bearer $token" "http://$mock_addr$path" >"$work/body.json"
"$work/barehandler" --addr "$up_addr" --body "$work/body.json" --content-type "application/json; charset=utf-8" &
pids+=($!)
"$work/bareproxy" --addr "$bare_addr" --upstream "http://$up_addr" &
pids+=($!)
"$work/restream-proxy" --addr "$proxy_addr" --streaming-addr "" --chat-addr "" --upstream "http://$up_addr" \
  --request-mode report --response-mode report --summary=false --log-level warn &
pids+=($!)
wait_for "http://$up_addr/"
wait_for "http://$bare_addr/"
wait_for "http://$proxy_addr/__proxy/healthz"

load() { wrk -t2 -c"$conns" -d"$duration" --latency -H "Authorization: Bearer $token" "$1$path"; }
echo "wrk: 2 threads, $conns connections, $duration, GET $path ($(wc -c <"$work/body.json") bytes)"
load "http://$bare_addr" >"$work/bare.txt"
load "http://$proxy_addr" >"$work/proxy.txt"
violations=$(curl -s "http://$proxy_addr/__proxy/healthz" | sed -n 's/.*"violations":\([0-9]*\).*/\1/p')
summary() { awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print rps, p50, p99}' "$1"; }
read -r brps bp50 bp99 < <(summary "$work/bare.txt")
read -r prps pp50 pp99 < <(summary "$work/proxy.txt")
awk -v b="$brps" -v p="$prps" -v bp50="$bp50" -v bp99="$bp99" -v pp50="$pp50" -v pp99="$pp99" -v v="$violations" 'BEGIN {
  printf "(a) bare httputil.ReverseProxy:  %9.0f requests/s   p50 %-8s p99 %s\n", b, bp50, bp99
  printf "(b) restream-proxy (validating): %9.0f requests/s   p50 %-8s p99 %s\n", p, pp50, pp99
  printf "ratio (b)/(a): %.1f %%   violations recorded: %s\n", 100*p/b, v
}'
