#!/usr/bin/env bash
# [flow] coalesce_us against the real engine and server: a producer that writes one record
# per millisecond (jwpub --rate 1000), first with the default (each record framed and sent
# as the TX lcore finds it), then with coalesce_us = 5000 (records wait in the ring up to
# 5 ms for the next ones). Checked:
#   - every record is acked exactly once both times (the last ones go out at their deadline
#     although no record follows them: --wait would time out otherwise), the stream holds
#     both runs and nothing was resent;
#   - the connection sends fewer than half the data segments with the wait (TCP segs_out
#     less pure_acks_out, from the stats socket: about one per record without it, one per
#     ~5 records with it).
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=2000
JWSTAT="$JW_ROOT/build/jwstat"
PREFIX="jw-engine-$$"   # engine_start's EAL file prefix

engine_net_up
engine_stream JWCOAL 'coal.>'
trap 'engine_cleanup' EXIT

# run HOLD_US: publishes N paced records; leaves "data_segments pure_acks" the connection
# sent in $JW_TMP/segs.HOLD_US
run() {
  engine_start 1 --set "flow.coalesce_us=$1"
  jwpub -i "$JW_INSTANCE" -s "coal.h$1" -n "$N" --rate 1000 --wait --timeout 60 \
    > "$JW_TMP/pub.$1" || fail "publish with coalesce_us=$1"
  "$JWSTAT" --prefix "$PREFIX" --json --once | python3 -c '
import json, sys
c = list(json.load(sys.stdin)["conns"].values())
assert len(c) == 1, c
print(c[0]["segs_out"] - c[0]["pure_acks_out"], c[0]["pure_acks_out"])' > "$JW_TMP/segs.$1" || fail "stats socket"
  engine_stop
  [ "$(engine_counter acked)" = "$N" ] || fail "coalesce_us=$1: acked $(engine_counter acked), want $N"
  [ "$(engine_counter resent)" = 0 ] || fail "coalesce_us=$1: $(engine_counter resent) resent"
}

run 0
run 5000
read -r segs0 acks0 < "$JW_TMP/segs.0"
read -r segs1 acks1 < "$JW_TMP/segs.5000"
echo "data segments sent: $segs0 at once, $segs1 with a 5 ms wait (pure ACKs: $acks0 / $acks1)"
jwjs verify JWCOAL $((2 * N)) || fail "stream count"
[ "$segs0" -ge $((N / 2)) ] || fail "without the wait only $segs0 data segments for $N paced records: the \
comparison would prove nothing"
[ $((2 * segs1)) -lt "$segs0" ] || fail "the wait did not coalesce: $segs1 data segments against $segs0"
echo "PASS: coalesce_us=5000 sent $segs1 data segments for $N paced records (at once: $segs0), all acked once"
