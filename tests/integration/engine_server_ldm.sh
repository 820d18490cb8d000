#!/usr/bin/env bash
# Lame duck of the only server: nats-server (the reference single server) gets
# --signal ldm mid-run, closes its clients and exits; it is started again on the same store.
# With nowhere else to go jetwire drops the connection and reconnects to that server as
# after any loss (no lame-duck avoidance delay): every message acked, stored exactly once,
# in order, and the session is up again within a few seconds of the restart.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=40000
engine_net_up
engine_stream JWSLDM 'sldm.>' --file
engine_start 1
pub_start sldm.a "$N" 90
sleep 1
pid=$(cat /run/jetwire-testnet/nats.pid)
nats-server --signal "ldm=$pid" || fail "ldm signal"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the server did not leave lame-duck mode within 30 s"
t0=$(date +%s.%N)
"$JW_ROOT/scripts/testnet.sh" server-start || fail "server start"
for _ in $(seq 100); do
  [ "$(grep -c 'ready (NATS session up)' "$JW_LOG")" -ge 2 ] && break
  sleep 0.1
done
[ "$(grep -c 'ready (NATS session up)' "$JW_LOG")" -ge 2 ] || fail "no reconnect within 10 s of the restart"
up=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
pub_wait_acked "$N"
jwjs check JWSLDM sldm.a "$N" || fail "stored messages"
engine_stop
grep "engine: sent\|lame" "$JW_LOG" || true
echo "PASS: lame duck of the only server: reconnected ${up}s after its restart; $N messages acked and stored exactly once, in order"
