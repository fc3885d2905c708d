#!/usr/bin/env bash
# WebSocket figures of restream-mock's feeds, in two parts.
#
# 1. Go benchmarks of internal/wsmock, clients in the same process over loopback: fan-out of one
#    chat event to 1,000 sockets of one user (median and p99 delivery latency), memory per idle
#    socket (heap and stacks), and frames per second one client receives.
# 2. At scale, against the built restream-mock binary: bench/wsfan, a client process of its own
#    (each process has its own file-descriptor limit), opens SOCKETS chat sockets of one user,
#    reads the mock's resident memory before and after (memory per idle socket), then injects
#    EVENTS chat events one at a time through POST /__mock/chat/events and times each socket's
#    receipt from just before the POST. It fails unless every socket received every event once.
#    Goals on a 2-core machine: p99 under 100 ms, under 24 KiB per idle socket.
#
#   bench/ws.sh [benchtime, default 3s]     (benchtime "skip" runs part 2 only)
#   SOCKETS=10000 EVENTS=10 bench/ws.sh     (the defaults)
#   WSFAN_FLAGS="--reader goroutine" bench/ws.sh skip   (more flags for wsfan: see wsfan -h)
#
# The mock listens on ports the kernel picks, read from its start banner; WS_BENCH_PORT=N puts
# its API on N and its chat feed on N+1 instead.
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-3s}
sockets=${SOCKETS:-10000}
events=${EVENTS:-10}
source bench/lib.sh

if [ "$benchtime" != skip ]; then
  go test -run '^$' -bench 'FanOut|IdleSocket|FramesPerSecond' -benchtime "$benchtime" ./internal/wsmock/ | tee /dev/stderr |
  awk '
  /FanOut/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "p50-ms") p50 = $i; if ($(i+1) == "p99-ms") p99 = $i } }
  /IdleSocket/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^B\/(conn|socket)$/) mem = $i }
  /FramesPerSecond/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^frames\/s$/) fps = $i }
  END {
    printf "\nin-process, fan-out of one frame to 1,000 sockets: p50 %s ms, p99 %s ms\n", p50, p99
    printf "in-process, memory per idle socket: %s bytes\n", mem
    printf "in-process, frames per second to one socket: %s\n\n", fps
  }'
fi

go build -o "$work/restream-mock" ./cmd/restream-mock
go build -o "$work/wsfan" ./bench/wsfan

# Each socket is a descriptor in the mock too: raise its soft limit to the hard one before it
# starts (wsfan raises its own), and say so when even that is too few.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((sockets + 64)) ]; then
  echo "ws.sh: the mock needs $((sockets + 64)) file descriptors for $sockets sockets, and the hard limit is $(ulimit -Hn) (ulimit -Hn): lower SOCKETS" >&2
  exit 1
fi
if [ -n "${WS_BENCH_PORT:-}" ]; then
  api_addr=127.0.0.1:$WS_BENCH_PORT chat_addr=127.0.0.1:$((WS_BENCH_PORT + 1))
else
  api_addr=127.0.0.1:0 chat_addr=127.0.0.1:0
fi
"$work/restream-mock" --addr "$api_addr" --streaming-addr "" --chat-addr "$chat_addr" --log-level warn >"$work/mock.out" 2>&1 &
pids+=($!)
mock_pid=$!
until grep -q '^Access token' "$work/mock.out"; do
  kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.out" >&2; exit 1; }
  sleep 0.01
done
api=$(sed -n 's/.*REST, OAuth and control API on \(http[^ ]*\).*/\1/p' "$work/mock.out")
chat=$(sed -n 's/.*chat feed on \(ws[^ ]*\).*/\1/p' "$work/mock.out")
token=$(sed -n 's/^Access token[^:]*: //p' "$work/mock.out")
wait_for "$api/__mock/health"
echo "restream-mock: API $api, chat feed $chat"
# shellcheck disable=SC2086 # WSFAN_FLAGS is a list of flags
"$work/wsfan" --api "$api" --chat "$chat" --token "$token" --sockets "$sockets" --events "$events" --mock-pid "$mock_pid" ${WSFAN_FLAGS:-}
