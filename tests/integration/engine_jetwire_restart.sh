#!/usr/bin/env bash
# The promise across a jetwire crash: jetwire is SIGKILLed while jwpub publishes; the
# producer keeps its slot and records, a new jetwire on the same shared memory sends every
# unacknowledged record again (same Nats-Msg-Id), and in the end every message has a report
# and is stored exactly once, in order.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=40000
engine_net_up
engine_stream JWJRST 'jrst.>'
engine_start 1
jwpub -i "$JW_INSTANCE" -s jrst.a -n "$N" --rate 10000 --wait --timeout 90 > "$JW_TMP/pub" 2>&1 &
pp=$!
sleep 1.5
kill -KILL "$JW_PID"; wait "$JW_PID" 2>/dev/null || true
JW_PID=
sleep 0.5
engine_start 1
wait "$pp" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
jwjs check JWJRST jrst.a "$N" || fail "stored messages"
jwjs verify JWJRST "$N" || fail "stream count"
engine_stop
grep "engine: sent" "$JW_LOG"
echo "PASS: jetwire restart: $N messages reported and stored exactly once"
