# Shared by the bench scripts: tools they need and process clean-up. Source it, do not run it.

# need_wrk installs wrk from Debian when it is missing and the script runs as root.
need_wrk() {
  command -v wrk >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "$0 needs wrk (apt-get install wrk)" >&2
    exit 1
  fi
}

# wait_for polls a URL until something answers.
wait_for() { until curl -s -o /dev/null "$1"; do sleep 0.005; done; }

# Background processes started with `start_bg cmd args...` are killed on exit, with the work dir.
pids=()
work=$(mktemp -d)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
start_bg() { "$@" & pids+=($!); }
