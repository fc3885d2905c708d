#!/usr/bin/env bash
# WebSocket figures of restream-mock's feeds (Go benchmarks of internal/wsmock, clients in the
# same process over loopback): fan-out of one chat event to 1,000 sockets of one user (median and
# p99 delivery latency), memory per idle socket, and frames per second one client receives.
#
#   bench/ws.sh [benchtime, default 3s]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-3s}
go test -run '^$' -bench 'FanOut|IdleSocket|FramesPerSecond' -benchtime "$benchtime" ./internal/wsmock/ | tee /dev/stderr |
awk '
/FanOut/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "p50-ms") p50 = $i; if ($(i+1) == "p99-ms") p99 = $i } }
/IdleSocket/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^B\/(conn|socket)$/) mem = $i }
/FramesPerSecond/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^frames\/s$/) fps = $i }
END {
  printf "\nfan-out of one frame to 1,000 sockets: p50 %s ms, p99 %s ms\n", p50, p99
  printf "memory per idle socket: %s bytes\n", mem
  printf "frames per second to one socket: %s\n", fps
}'
