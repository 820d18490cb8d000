#!/usr/bin/env bash
# [cores] sched_batch = auto: the TX and control lcores run SCHED_BATCH while their producers
# write a burst (a waking lcore does not preempt a producer in the middle of its calls) and
# SCHED_OTHER otherwise: idle, while the window drains a burst's backlog (the control lcore
# reads PubAcks as they come), and in a flood (writing that lasts 20 ms or more). Checked on
# the threads' policies (field 41 of /proc/TID/stat: 3 = SCHED_BATCH, 0 = SCHED_OTHER),
# sampled every 0.5 ms: idle, through a reference burst and through a flood of 400,000;
# every message is stored once.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
engine_net_up
engine_stream JWAUTO 'auto.>'
engine_start 1 --set cores.sched_batch=auto
grep -q "SCHED_BATCH while producers burst" "$JW_LOG" || fail "the control lcore did not start under auto"

# sample SECONDS: the control and TX lcores' policies every 0.5 ms, one line "T ctl tx" each
# (T in ms from the start), into $JW_TMP/samples, in the background (pid SAMPLER)
sample() {
  python3 - "$JW_PID" "$1" > "$JW_TMP/samples" <<'PY' &
import glob, sys, time
pid, secs = sys.argv[1], float(sys.argv[2])
tid = {}
for t in glob.glob(f"/proc/{pid}/task/*"):
    name = open(t + "/comm").read().strip()
    if name in ("rte-worker-1", "rte-worker-2"):
        tid[name] = t + "/stat"
assert len(tid) == 2, tid
def pol(path):
    return open(path).read().rsplit(")", 1)[1].split()[38]
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    print("%.1f %s %s" % ((time.monotonic() - t0) * 1e3, pol(tid["rte-worker-1"]),
                          pol(tid["rte-worker-2"])), flush=True)
    time.sleep(0.0005)
PY
  SAMPLER=$!
}
# seen WANT FROM_MS TO_MS: lines of the samples within [FROM, TO) whose policies are WANT
seen() { awk -v w="$1" -v a="$2" -v b="$3" '$1 >= a && $1 < b && ($2 " " $3) == w' "$JW_TMP/samples" | wc -l; }
total() { awk -v a="$1" -v b="$2" '$1 >= a && $1 < b' "$JW_TMP/samples" | wc -l; }

sample 0.3; wait "$SAMPLER"
[ "$(seen "0 0" 0 1e9)" -eq "$(total 0 1e9)" ] || fail "idle: the lcores are not SCHED_OTHER throughout"
echo "idle: control and TX lcores SCHED_OTHER ($(total 0 1e9) samples)"
sb=$("$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json --once |
     jq -r '[.lcores[] | select(.role == "tx" or .role == "control") | .sched_batch] | join(" ")')
[ "$sb" = "0 0" ] || fail "idle: /jetwire/lcores sched_batch '$sb', wanted 0 0"

B=50000
sample 3
sleep 0.2
out=$(jwpub -i "$JW_INSTANCE" -s auto.b --subjects 5 -n "$B" -z 128 --wait --timeout 60 --json) ||
  fail "burst publish: $out"
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
[ "$(echo "$out" | jq -r .eagain)" -eq 0 ] || fail "burst: the ring refused calls: $out"
batch=$(seen "3 3" 0 1e9)
[ "$batch" -gt 0 ] || fail "burst: the lcores never ran SCHED_BATCH"
last=$(tail -1 "$JW_TMP/samples")
[ "${last#* }" = "0 0" ] || fail "after the burst (acks drained): policies $last, wanted SCHED_OTHER"
echo "burst: SCHED_BATCH in $batch samples, SCHED_OTHER again while its acks came ($last)"

N=400000
sample 2
jwpub -i "$JW_INSTANCE" -s auto.f --subjects 5 -n "$N" -z 128 --wait --timeout 120 --json \
  > "$JW_TMP/flood.json" 2> "$JW_TMP/flood.err" &
PUB=$!
wait "$SAMPLER" || true
flood_other=$(seen "0 0" 300 2000)
flood_all=$(total 300 2000)
wait "$PUB" || fail "flood publish: $(cat "$JW_TMP/flood.err")"
[ "$(jq -r .published "$JW_TMP/flood.json")" -eq "$N" ] || fail "flood: $(cat "$JW_TMP/flood.json")"
elapsed=$(jq -r .elapsed_s "$JW_TMP/flood.json")
echo "flood: published in $elapsed s; SCHED_OTHER in $flood_other of $flood_all samples 0.3-2 s in"
[ "$flood_all" -gt 0 ] && [ "$flood_other" -eq "$flood_all" ] ||
  fail "flood: the lcores did not leave SCHED_BATCH"
engine_stop
[ "$(engine_counter acked)" -eq $((N + B)) ] || fail "acked $(engine_counter acked) of $((N + B))"
jwjs verify JWAUTO $((N + B)) || fail "stream count"
echo "PASS: sched_batch = auto: SCHED_BATCH in a burst only, SCHED_OTHER idle, after it and in a flood"
