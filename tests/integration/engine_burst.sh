#!/usr/bin/env bash
# The reference burst with default settings: 5 subjects x 10,000 messages of 128 bytes
# from one producer, as fast as it can call jw_publish. The default ring must absorb the
# whole burst (no JW_EAGAIN at all), every report must be acked, and the stream must hold
# exactly the burst. Times are printed for the record, never asserted.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=50000
engine_net_up
engine_stream JWBURST 'burst.>'
engine_start 1
out=$(jwpub -i "$JW_INSTANCE" -s burst --subjects 5 -n "$N" -z 128 --wait --timeout 60 --json) \
  || fail "burst publish: $out"
echo "$out"
eagain=$(echo "$out" | jq -r .eagain)
published=$(echo "$out" | jq -r .published)
[ "$published" -eq "$N" ] || fail "published $published of $N"
[ "$eagain" -eq 0 ] || fail "the default ring refused $eagain calls during the burst"
engine_stop
grep "engine: sent" "$JW_LOG"
[ "$(engine_counter acked)" -eq "$N" ] || fail "acked $(engine_counter acked) of $N"
jwjs verify JWBURST "$N" || fail "stream count"
echo "PASS: reference burst of $N absorbed by the default ring (0 EAGAIN), stored once"
