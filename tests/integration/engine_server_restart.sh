#!/usr/bin/env bash
# The promise across a server crash: nats-server is SIGKILLed and restarted (same file
# store) while jwpub publishes. jetwire reconnects, resends every unacknowledged publish
# with the same Nats-Msg-Id, and in the end every message is acked and stored exactly once,
# in order.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=30000
engine_net_up
engine_stream JWCRASH 'crash.>' --file
engine_start 1
jwpub -i "$JW_INSTANCE" -s crash.a -n "$N" --rate 10000 --wait --timeout 90 > "$JW_TMP/pub" &
pp=$!
sleep 1
"$JW_ROOT/scripts/testnet.sh" server-restart || fail "server restart"
wait "$pp" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
jwjs check JWCRASH crash.a "$N" || fail "stored messages"
jwjs verify JWCRASH "$N" || fail "stream count"
engine_stop
grep "engine: sent" "$JW_LOG"
[ "$(grep -c 'ready (NATS session up)' "$JW_LOG")" -ge 2 ] || fail "no reconnect seen"
# a single server is no cluster: no connection waits for a first answer (engine_ctl.c)
! grep -q "first answer from the stream" "$JW_LOG" || fail "a single server's connection was gated"
grep -q "waited for the stream's first answer 0" "$JW_LOG" || fail "first-answer count not 0"
echo "PASS: server restart: $N messages acked and stored exactly once"
