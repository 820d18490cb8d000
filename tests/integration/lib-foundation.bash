# Helpers shared by the foundation integration scripts. Sourced, not run: the runner runs
# tests/integration/*.sh only, so this file is not counted as a test.

JW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
JW_BIN=${JW_BIN:-$JW_ROOT/build/jetwire}
JW_PIDS=()
JW_NET_WAS_UP=0

jw_fail() { echo "FAIL: $*" >&2; exit 1; }

# Bring the reference network up; remember whether it already was, so cleanup restores it.
jw_net_up() {
  if "$JW_ROOT/scripts/testnet.sh" status >/dev/null 2>&1; then JW_NET_WAS_UP=1; fi
  "$JW_ROOT/scripts/testnet.sh" up
}

# Start jetwire in the background with a unique file prefix; log to $1.
jw_start() { # log [jetwire args...]
  local log=$1; shift
  "$JW_BIN" -c "$JW_ROOT/dpdk-config/default.conf" \
    --set "eal.file_prefix=jw-foundation-$$-${#JW_PIDS[@]}" \
    --set "shm.instance=jwfound$$" "$@" > "$log" 2>&1 &
  JW_PIDS+=($!)
  JW_PID=$!
}

# Wait until the log contains a pattern (grep -E) or the process dies; $3 = seconds.
jw_wait_log() { # log pattern seconds
  local deadline=$(( $(date +%s) + $3 ))
  until grep -qE "$2" "$1"; do
    kill -0 "$JW_PID" 2>/dev/null || { cat "$1" >&2; jw_fail "jetwire exited before: $2"; }
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$1" >&2; jw_fail "timeout waiting for: $2"; }
    sleep 0.1
  done
}

# SIGTERM jetwire and require exit status 0 within 10 s.
jw_stop() {
  local rc=0 i
  kill -TERM "$JW_PID"
  for i in $(seq 100); do kill -0 "$JW_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$JW_PID" 2>/dev/null && { kill -KILL "$JW_PID"; jw_fail "jetwire ignored SIGTERM"; }
  wait "$JW_PID" || rc=$?
  [ "$rc" -eq 0 ] || jw_fail "jetwire exited $rc on SIGTERM"
}

jw_cleanup() {
  local p
  for p in "${JW_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf /var/run/dpdk/jw-foundation-$$-*   # EAL leaves its runtime dir behind
  rm -f "/dev/shm/jetwire.jwfound$$"         # the engine keeps its rings across restarts
  [ "$JW_NET_WAS_UP" -eq 1 ] || "$JW_ROOT/scripts/testnet.sh" down >/dev/null 2>&1 || true
}
