# Helpers shared by the engine integration scripts (sourced, not a test itself).
# Each test: reference network up, a stream, jetwire with overrides, jwpub, checks through
# JetStream with build/jwjs (cnats) inside netns jw-srv, teardown on exit.

JW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
JW_TMP=$(mktemp -d /tmp/jw-engine-test.XXXXXX)
JW_LOG=$JW_TMP/none.log
JW_STARTS=0
JW_PID=
JW_STREAMS=()
# Two TX lcores: lcores 2 and 3 (four lcores floating over the CPUs), queues 0 and 1 for
# them and queue 2 for the control lcore; af_packet needs as many qpairs as RX queues.
JW_TWO_TX=(--set 'eal.lcores=(0-3)@(0-1)' --set 'cores.tx=2,3'
           --set 'port.vdev=net_af_packet0,iface=jwv0,qpairs=3'
           --set port.rx_queues=3 --set port.tx_queues=3)

fail() { echo "FAIL: $*" >&2; [ -f "$JW_LOG" ] && grep -v "^EAL:" "$JW_LOG" | tail -30 >&2; exit 1; }
jwjs() { ip netns exec jw-srv "$JW_ROOT/build/jwjs" "$@"; }
jwpub() { "$JW_ROOT/build/jwpub" "$@"; }
# pub_start SUBJECT N [TIMEOUT_S]: jwpub publishes N messages at 10,000/s in the background,
# waiting for every report (output in $JW_TMP/pub, pid in PUB_PID).
pub_start() {
  jwpub -i "$JW_INSTANCE" -s "$1" -n "$2" --rate 10000 --wait --timeout "${3:-120}" \
    > "$JW_TMP/pub" &
  PUB_PID=$!
}
# pub_wait_acked N: waits for pub_start's jwpub and fails unless it ended well with N acked.
pub_wait_acked() {
  wait "$PUB_PID" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
  cat "$JW_TMP/pub"
  grep -q "^reports: $1 acked" "$JW_TMP/pub" || fail "not every message acked"
}

engine_cleanup() {
  local s
  if [ -n "$JW_PID" ] && kill -0 "$JW_PID" 2>/dev/null; then
    kill -TERM "$JW_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$JW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$JW_PID" 2>/dev/null || true
  fi
  for s in "${JW_STREAMS[@]}"; do jwjs rm "$s" >/dev/null 2>&1 || true; done
  [ -n "${JW_INSTANCE:-}" ] && rm -f "/dev/shm/jetwire.$JW_INSTANCE"
  "$JW_ROOT/scripts/testnet.sh" down >/dev/null 2>&1 || true
  rm -rf "$JW_TMP"
}
trap engine_cleanup EXIT

engine_net_up() { "$JW_ROOT/scripts/testnet.sh" up || fail "reference network"; }

engine_stream() { # name subject [--file]
  JW_STREAMS+=("$1")
  jwjs add "$@" || fail "cannot create stream $1"
}

# Start jetwire with overrides and a fresh shm instance; wait until every connection is
# ready (arg 1: how many).
engine_start() { # nconns [--set k=v ...]
  local n=$1 inst="jwt$$"; shift
  JW_INSTANCE=$inst
  JW_STARTS=$((JW_STARTS + 1))
  JW_LOG=$JW_TMP/jetwire.$JW_STARTS.log   # a fresh file: no stale "ready" lines
  : > "$JW_LOG"
  "$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" \
    --set "eal.file_prefix=jw-engine-$$" --set "shm.instance=$inst" "$@" > "$JW_LOG" 2>&1 &
  JW_PID=$!
  for _ in $(seq 300); do
    [ "$(grep -c 'ready (NATS session up)' "$JW_LOG")" -ge "$n" ] && return 0
    kill -0 "$JW_PID" 2>/dev/null || fail "jetwire exited"
    sleep 0.1
  done
  fail "jetwire not ready after 30 s"
}

# SIGTERM jetwire, require a clean exit, keep its log. SIGTERM drains first: up to
# [engine] drain_timeout_s (10 s) while publishes are unacknowledged, so allow 30 s.
engine_stop() {
  local rc=0
  kill -TERM "$JW_PID"
  for _ in $(seq 300); do kill -0 "$JW_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$JW_PID" 2>/dev/null && fail "jetwire ignored SIGTERM"
  wait "$JW_PID" || rc=$?
  JW_PID=
  [ "$rc" -eq 0 ] || fail "jetwire exited with status $rc"
  rm -f "/dev/shm/jetwire.$JW_INSTANCE"
}

# A number from the exit summary's line "engine: shared replies: sent N, answers N,
# confirmed N, classes broken N, stale answers N".
engine_share_counter() { # name (sent|answers|confirmed|classes broken|stale answers)
  sed -n "s/.*engine: shared replies:.*$1 \([0-9]*\).*/\1/p" "$JW_LOG" | tail -1
}

# A number from jetwire's exit summary: "engine: sent N, resent N, acked N ...".
engine_counter() { # name (sent|resent|acked|failed|timeouts|most in flight|refused sends)
  sed -n "s/.*engine: sent .*$1 \([0-9]*\).*/\1/p" "$JW_LOG" | tail -1
}
