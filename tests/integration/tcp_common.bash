# Shared by tests/integration/tcp_*.sh (sourced, not a test itself).
# The runner holds /run/jw-testnet.lock around each test; these helpers never take it.
# Everything runs on the reference network: netns jw-srv (198.18.0.1) and jwv0 for DPDK.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESTNET=$ROOT/scripts/testnet.sh
CONF=$ROOT/dpdk-config/default.conf
SENDER=$ROOT/build/jwtcpsend
SINK=$ROOT/tests/integration/tcp_sink.py
WORK=$(mktemp -d /tmp/jw-tcp-it.XXXXXX)
SINK_PID=

cleanup() {
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
  [ -n "$SINK_PID" ] && wait "$SINK_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

need() {
  [ -x "$SENDER" ] || fail "$SENDER not built (make)"
  [ -x "$TESTNET" ] || fail "$TESTNET missing"
  "$TESTNET" up >/dev/null || fail "testnet up"
}

# start_sink PORT [sink options...]: a kernel TCP sink in jw-srv; waits until it listens.
start_sink() {
  local port=$1; shift
  rm -f "$WORK/ready" "$WORK/sink.out"
  ip netns exec jw-srv python3 "$SINK" --port "$port" --out "$WORK/sink.out" \
    --ready "$WORK/ready" --timeout 150 "$@" &
  SINK_PID=$!
  for _ in $(seq 100); do [ -f "$WORK/ready" ] && return 0; sleep 0.05; done
  fail "sink did not start"
}

# run_sender PORT BYTES [jwtcpsend options...]: output in $WORK/send.out, rc in $SEND_RC.
run_sender() {
  local port=$1 bytes=$2; shift 2
  timeout 150 "$SENDER" -c "$CONF" --dst "198.18.0.1:$port" --bytes "$bytes" \
    --timeout 120 "$@" > "$WORK/send.out" 2> "$WORK/send.err"
  SEND_RC=$?
  grep -v TELEMETRY "$WORK/send.err" | tail -5
  cat "$WORK/send.out"
}

wait_sink() {
  for _ in $(seq 200); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$SINK_PID" 2>/dev/null
  SINK_PID=
  [ -f "$WORK/sink.out" ] && cat "$WORK/sink.out"
}

# check_transfer BYTES: the sender succeeded and the sink got the same bytes.
check_transfer() {
  local bytes=$1 sent recv
  [ "$SEND_RC" -eq 0 ] || fail "jwtcpsend exited $SEND_RC"
  sent=$(tail -1 "$WORK/send.out")
  [[ $sent =~ ^sent\ $bytes\ bytes\ sha256\ ([0-9a-f]{64})$ ]] || fail "last line: $sent"
  recv=$(tail -1 "$WORK/sink.out" 2>/dev/null)
  [[ $recv == "received $bytes bytes sha256 ${BASH_REMATCH[1]} "* ]] || fail "sink: $recv"
  echo "OK: $bytes bytes, sha256 ${BASH_REMATCH[1]}"
}

stat_of() { # stat_of NAME: a counter from jwtcpsend's summary
  grep -o "$1 [0-9]*" "$WORK/send.out" | head -1 | awk '{print $2}'
}
