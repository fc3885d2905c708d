#!/usr/bin/env bash
# Load test of restream-gateway in front of restream-mock, in one run: the same Restream call made
# (a) straight to the mock, (b) through a bare httputil.ReverseProxy (the floor any gateway pays for
# its extra hop), (c) through the REST facade, and (d) as an MCP tools/call (stateless Streamable
# HTTP, protocol 2026-07-28). Prints requests/s of each with many connections and the p50
# latency on one connection, so the overheads and the latency the gateway adds are read off one
# table. Every process shares the machine's cores, so a hop costs throughput as well as latency.
# Needs wrk (installed from Debian when missing and run as root).
#
#   bench/gateway.sh [duration, default 10s] [connections, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
conns=${2:-50}
mock_addr=127.0.0.1:18380
rest_addr=127.0.0.1:18381
mcp_addr=127.0.0.1:18382
bare_addr=127.0.0.1:18383
source bench/lib.sh
need_wrk
for cmd in restream-mock restream-gateway; do go build -o "$work/$cmd" "./cmd/$cmd"; done
go build -o "$work/bareproxy" ./bench/bareproxy

"$work/restream-mock" --addr "$mock_addr" --streaming-addr "" --chat-addr "" --log-level warn >"$work/mock.out" 2>&1 &
pids+=($!)
wait_for "http://$mock_addr/__mock/health"
token=$(sed -n 's/^Access token[^:]*: //p' "$work/mock.out")
RESTREAM_ACCESS_TOKEN=$token "$work/restream-gateway" --upstream "http://$mock_addr/v2" \
  --rest-addr "$rest_addr" --mcp-addr "$mcp_addr" --log-level warn >"$work/gateway.out" 2>&1 &
pids+=($!)
"$work/bareproxy" --addr "$bare_addr" --upstream "http://$mock_addr" &
pids+=($!)
wait_for "http://$rest_addr/healthz"
wait_for "http://$bare_addr/"
wait_for "http://$mcp_addr/healthz"

# The MCP call: a wrk script posting one JSON-RPC request.
cat >"$work/mcp.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"1"}}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
wrk.headers["Mcp-Method"] = "tools/call"
wrk.headers["Mcp-Name"] = "list-channels"
EOF
check() { # the call must succeed before it is timed
  if ! out=$(curl -sf "$@"); then echo "bench/gateway.sh: this call failed: curl $*" >&2; exit 1; fi
  case $out in *'"isError":true'*) echo "bench/gateway.sh: the tool call is an error: $out" >&2; exit 1 ;; esac
}
direct=(-H "Authorization: Bearer $token" "http://$mock_addr/v2/user/channel/all")
bare=(-H "Authorization: Bearer $token" "http://$bare_addr/v2/user/channel/all")
facade=("http://$rest_addr/v1/channels")
mcp=(-s "$work/mcp.lua" "http://$mcp_addr/mcp")
check "${direct[@]}"
check "${bare[@]}"
check "${facade[@]}"
check -X POST -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \
  -H "MCP-Protocol-Version: 2026-07-28" -H "Mcp-Method: tools/call" -H "Mcp-Name: list-channels" --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/mcp.lua")" "http://$mcp_addr/mcp"

run() { # name, connections, wrk arguments...
  local name=$1 c=$2; shift 2
  wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$duration" --latency "$@" >"$work/$name.txt"
}
summary() { awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print rps, p50, p99}' "$work/$1.txt"; }
# wrk prints latencies as 123.45us, 1.23ms or 1.02s: in microseconds.
micros() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else print n*1000000 }'; }

for c in "$conns" 1; do
  run "direct-$c" "$c" "${direct[@]}"
  run "bare-$c" "$c" "${bare[@]}"
  run "facade-$c" "$c" "${facade[@]}"
  run "mcp-$c" "$c" "${mcp[@]}"
done
echo "wrk, $duration each: GET /v2/user/channel/all straight to restream-mock, GET /v1/channels on the facade,"
echo "tools/call list-channels on /mcp (the same Restream call behind both)"
printf '%-34s %12s %10s %10s %12s %12s\n' "" "$conns conns r/s" "p50" "p99" "1 conn p50" "added p50"
read -r drps dp50 dp99 < <(summary "direct-$conns")
read -r _ d1 _ < <(summary direct-1)
for name in direct bare facade mcp; do
  read -r rps p50 p99 < <(summary "$name-$conns")
  read -r _ one _ < <(summary "$name-1")
  added=$(awk -v a="$(micros "$one")" -v b="$(micros "$d1")" 'BEGIN { printf "%+.0f us", a-b }')
  label=$name
  case $name in
    direct) label="(a) restream-mock" ;;
    bare) label="(b) bare reverse proxy, the floor" ;;
    facade) label="(c) gateway REST facade" ;;
    mcp) label="(d) gateway MCP tools/call" ;;
  esac
  printf '%-34s %12.0f %10s %10s %12s %12s\n' "$label" "$rps" "$p50" "$p99" "$one" "$added"
done
read -r frps _ _ < <(summary "facade-$conns")
read -r mrps _ _ < <(summary "mcp-$conns")
read -r brps _ _ < <(summary "bare-$conns")
awk -v d="$drps" -v f="$frps" -v m="$mrps" -v b="$brps" 'BEGIN {
  printf "overhead vs straight to the mock: facade %.2fx, MCP %.2fx, bare proxy %.2fx\n", d/f, d/m, d/b
  printf "overhead vs the bare proxy (the gateway\x27s own cost): facade %.2fx, MCP %.2fx\n", b/f, b/m
}'
