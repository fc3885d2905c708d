#!/usr/bin/env bash
# Memory bounds under hostile input: the request patterns that once swelled restream-mock and
# restream-proxy, a bounded count of each (bench/memload), against fresh binaries. Prints what each
# case left behind and each binary's peak resident memory (VmHWM); the goal is under 100 MB each.
#
#   bench/memory.sh [scale, default 1: multiplies every case's request count]
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1}
mock_addr=127.0.0.1:18390
proxy_addr=127.0.0.1:18391
source bench/lib.sh
for cmd in restream-mock restream-proxy; do go build -o "$work/$cmd" "./cmd/$cmd"; done
go build -o "$work/memload" ./bench/memload

"$work/restream-mock" --addr "$mock_addr" --streaming-addr "" --chat-addr "" --log-level error >"$work/mock.out" 2>&1 &
pids+=($!)
mock_pid=$!
"$work/restream-proxy" --addr "$proxy_addr" --streaming-addr "" --chat-addr "" --upstream "http://$mock_addr" \
  --summary=false --log-level error >"$work/proxy.out" 2>&1 &
pids+=($!)
proxy_pid=$!
wait_for "http://$mock_addr/__mock/health"
wait_for "http://$proxy_addr/__proxy/healthz"
token=$(sed -n 's/^Access token[^:]*: //p' "$work/mock.out")

mib() { awk '/^'"$2"':/ {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
echo "restream-mock idle: RSS $(mib $mock_pid VmRSS); restream-proxy idle: RSS $(mib $proxy_pid VmRSS)"
for kase in login journal state; do
  case $kase in login) n=20000 ;; journal) n=3000 ;; state) n=20000 ;; esac
  "$work/memload" --case "$kase" --mock "http://$mock_addr" --token "$token" --count $((n * scale))
  echo "  restream-mock after $kase: RSS $(mib $mock_pid VmRSS), peak $(mib $mock_pid VmHWM)"
done
"$work/memload" --case proxy --mock "http://$mock_addr" --proxy "http://$proxy_addr" --count $((30000 * scale))
echo "  restream-proxy after proxy: RSS $(mib $proxy_pid VmRSS), peak $(mib $proxy_pid VmHWM)"
echo "peak RSS: restream-mock $(mib $mock_pid VmHWM), restream-proxy $(mib $proxy_pid VmHWM) (goal: under 100 MB each)"
