#!/usr/bin/env bash
# The reference burst with default settings: 5 subjects x 10,000 messages of 128 bytes
# from one producer, as fast as it can call jw_publish. The default ring must absorb the
# whole burst (no JW_EAGAIN at all), every report must be acked, and the stream must hold
# exactly the burst; and a flood goes out in full TCP segments (the data segments carry the
# wire bytes in at most 2 % more segments than full ones would need: a visit of the rings
# must not end in a partly filled segment while more records wait). Times are printed for
# the record, never asserted. With [cores] sched_batch = yes, as here, the TX and control
# lcores run SCHED_BATCH.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=50000
engine_net_up
engine_stream JWBURST 'burst.>'
engine_start 1 --set cores.sched_batch=yes
out=$(jwpub -i "$JW_INSTANCE" -s burst --subjects 5 -n "$N" -z 128 --wait --timeout 60 --json) \
  || fail "burst publish: $out"
echo "$out"
eagain=$(echo "$out" | jq -r .eagain)
published=$(echo "$out" | jq -r .published)
[ "$published" -eq "$N" ] || fail "published $published of $N"
[ "$eagain" -eq 0 ] || fail "the default ring refused $eagain calls during the burst"
# [cores] sched_batch = yes: the TX and control lcores run SCHED_BATCH (policy 3,
# field 41 of /proc/TID/stat), the other threads keep SCHED_OTHER (0)
pol=$(for t in /proc/"$JW_PID"/task/*; do
        printf '%s=%s ' "$(cat "$t/comm")" "$(sed 's/.*) //' "$t/stat" | awk '{print $39}')"
      done)
echo "scheduling policies: $pol"
[[ " $pol" == *" rte-worker-1=3 "* && " $pol" == *" rte-worker-2=3 "* ]] ||
  fail "the control and TX lcores do not run SCHED_BATCH: $pol"
"$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json --once > "$JW_TMP/stat.json" || fail "jwstat"
# the stats socket says so too (/jetwire/lcores sched_batch)
sb=$(jq -r '[.lcores[] | select(.role == "tx" or .role == "control") | .sched_batch] | join(" ")' \
     "$JW_TMP/stat.json")
[ "$sb" = "1 1" ] || fail "/jetwire/lcores sched_batch: '$sb', wanted 1 for the TX and control lcores"
python3 "$JW_ROOT/tests/integration/jwstat_conn.py" "$JW_TMP/stat.json" > "$JW_TMP/conn.json" ||
  fail "no connection in the telemetry"
python3 - "$JW_TMP/stat.json" "$JW_TMP/conn.json" <<'PY' || fail "segments not filled"
import json, math, sys
c = json.load(open(sys.argv[2]))
wire = json.load(open(sys.argv[1]))["stats"]["wire_bytes"]
data = c["segs_out"] - c["pure_acks_out"]
full = math.ceil(wire / 1436)  # MSS 1460 less 12 bytes of timestamps, less 12 of slack
print(f"segments: {data} data segments for {wire} wire bytes ({wire / max(data, 1):.0f} per "
      f"segment; {full} full ones would do)")
sys.exit(0 if data <= full * 1.02 + 16 else 1)
PY
engine_stop
grep "engine: sent" "$JW_LOG"
[ "$(engine_counter acked)" -eq "$N" ] || fail "acked $(engine_counter acked) of $N"
jwjs verify JWBURST "$N" || fail "stream count"
echo "PASS: reference burst of $N absorbed by the default ring (0 EAGAIN), stored once"
