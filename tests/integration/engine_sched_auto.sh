#!/usr/bin/env bash
# [cores] sched_batch = auto: the TX and control lcores run SCHED_BATCH (a waking lcore does
# not preempt a producer in the middle of a burst of calls) except while the producers
# flood, when they run SCHED_OTHER (the control lcore reads PubAcks as they come), and
# SCHED_BATCH again once the producers pause. Checked on the threads' policies (field 41 of
# /proc/TID/stat: 3 = SCHED_BATCH, 0 = SCHED_OTHER) before, during and after a flood of
# 400,000 publishes, and after a reference burst (shorter than a flood: the lcores stay
# SCHED_BATCH); every message is stored once.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
engine_net_up
engine_stream JWAUTO 'auto.>'
engine_start 1 --set cores.sched_batch=auto
grep -q "SCHED_BATCH except in floods" "$JW_LOG" || fail "the control lcore did not start under auto"

# policies: "ctl TX" of the control (rte-worker-1) and TX (rte-worker-2) lcores
policies() {
  local c t
  c=$(sed 's/.*) //' "$(grep -lx rte-worker-1 /proc/"$JW_PID"/task/*/comm | sed 's/comm$/stat/')" |
      awk '{print $39}')
  t=$(sed 's/.*) //' "$(grep -lx rte-worker-2 /proc/"$JW_PID"/task/*/comm | sed 's/comm$/stat/')" |
      awk '{print $39}')
  echo "$c $t"
}
# wait_policies WANT SECONDS: until both lcores run WANT ("3 3" or "0 0")
wait_policies() {
  local want=$1 tries=$(( $2 * 20 )) got
  for _ in $(seq "$tries"); do
    got=$(policies)
    [ "$got" = "$want" ] && return 0
    sleep 0.05
  done
  echo "policies: $got (wanted $want)"
  return 1
}
wait_policies "3 3" 2 || fail "idle: the lcores do not run SCHED_BATCH"
echo "idle: control and TX lcores SCHED_BATCH"

N=400000
jwpub -i "$JW_INSTANCE" -s auto.f --subjects 5 -n "$N" -z 128 --wait --timeout 120 --json \
  > "$JW_TMP/flood.json" 2> "$JW_TMP/flood.err" &
PUB=$!
wait_policies "0 0" 5 || { kill "$PUB" 2>/dev/null; fail "flood: the lcores stay SCHED_BATCH"; }
echo "flood: control and TX lcores SCHED_OTHER"
wait "$PUB" || fail "flood publish: $(cat "$JW_TMP/flood.err")"
[ "$(jq -r .published "$JW_TMP/flood.json")" -eq "$N" ] || fail "flood: $(cat "$JW_TMP/flood.json")"
wait_policies "3 3" 2 || fail "after the flood: the lcores do not return to SCHED_BATCH"
echo "after the flood: SCHED_BATCH again"

B=50000
out=$(jwpub -i "$JW_INSTANCE" -s auto.b --subjects 5 -n "$B" -z 128 --wait --timeout 60 --json) ||
  fail "burst publish: $out"
[ "$(echo "$out" | jq -r .eagain)" -eq 0 ] || fail "burst: the ring refused calls: $out"
[ "$(policies)" = "3 3" ] || fail "after a burst: policies $(policies), wanted SCHED_BATCH"
echo "burst: submitted in $(echo "$out" | jq -r .elapsed_s) s, the lcores stayed SCHED_BATCH"
engine_stop
[ "$(engine_counter acked)" -eq $((N + B)) ] || fail "acked $(engine_counter acked) of $((N + B))"
jwjs verify JWAUTO $((N + B)) || fail "stream count"
echo "PASS: sched_batch = auto: SCHED_BATCH idle and in bursts, SCHED_OTHER in a flood"
