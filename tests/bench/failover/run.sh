#!/usr/bin/env bash
# Cluster failover benchmark (make bench; issue 12): acked messages per 100 ms before,
# during and after the SIGKILL of the node the client is connected to, on the reference
# cluster (scripts/testnet.sh up cluster: n1..n3, an R3 file stream per run), 10,000 msgs/s
# of 128 bytes, every message with a Nats-Msg-Id (like with like):
#   jetwire   jwpub --rate into jetwire (one connection, all three servers configured);
#             acked totals sampled from jwstat every 100 ms
#   nats.go   build/bench/natsgo_failover: js.PublishMsgAsync + MsgId, inside netns jw-srv;
#             futures that fail or see no ack within 2 s are resent by the caller (counted)
# Both clients connect first to the same node, one that does not lead the run's stream (the
# URL lists start with it; nats.go without randomising), so the kill measures the
# connection's failover, not the stream's leader election (cluster_kill_leader covers that).
# The node is killed BENCH_FO_KILL_AT seconds (default 2.5) into the run, and started again
# after the run; both streams must hold exactly COUNT messages, once each, and jetwire's in
# order (nats.go's order is reported, not required: its caller's resends reorder).
# Output in JW_BENCH_OUT (default build/bench-results/failover-<time>): failover.tsv (ms,
# jetwire, nats.go), failover.png (gnuplot), failover-table.txt, failover-headlines.tsv.
# Root; takes /run/jw-testnet.lock unless the caller holds it; takes the network down.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "failover: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
source "$ROOT/scripts/bench-jetwire.bash" # shm_rm
for b in build/jetwire build/jwjs build/jwpub build/jwstat build/bench/natsgo_failover; do
  [ -x "$b" ] || { echo "failover: $b missing: make all benches" >&2; exit 1; }
done
N=${BENCH_FO_COUNT:-60000}; RATE=${BENCH_FO_RATE:-10000}; KILL_AT=${BENCH_FO_KILL_AT:-2.5}
OUT=${JW_BENCH_OUT:-$ROOT/build/bench-results/failover-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
RUNID=${JW_BENCH_RUN_ID:-jw-bench-$$}-fo
WORK=$(mktemp -d /tmp/jw-bench-fo.XXXXXX)
ALL=nats://198.18.0.1:4222,nats://198.18.0.3:4222,nats://198.18.0.4:4222
ADDRS=(198.18.0.1 198.18.0.3 198.18.0.4)
JW_PID=; GO_PID=
cleanup() {
  [ -n "$JW_PID" ] && kill -TERM "$JW_PID" 2>/dev/null && sleep 1 && kill -KILL "$JW_PID" 2>/dev/null
  [ -n "$GO_PID" ] && kill -KILL "$GO_PID" 2>/dev/null
  shm_rm "$RUNID"
  scripts/testnet.sh down >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
node_of() { local i; for i in 0 1 2; do [ "${ADDRS[$i]}" = "$1" ] && echo $((i + 1)); done; }
js() { local rc; for _ in $(seq 10); do rc=0; ip netns exec jw-srv build/jwjs -s "$ALL" "$@" || rc=$?; [ $rc -ne 2 ] && return $rc; sleep 1; done; return $rc; }

scripts/testnet.sh up cluster || exit 1

# the URL list starting with a node that does not lead stream $1
list_for() {
  local l n first
  l=$(js info "$1" | sed -n 's/.*, leader n\([0-9]\).*/\1/p')
  first=$(( ${l:-3} % 3 + 1 ))
  local s=nats://${ADDRS[$((first - 1))]}:4222
  for n in 1 2 3; do [ "$n" -ne "$first" ] && s+=",nats://${ADDRS[$((n - 1))]}:4222"; done
  echo "$s"
}

# --- jetwire -----------------------------------------------------------------------------
js add JWBFO 'bfo.>' --file --replicas 3 || exit 1
sleep 1
JW_LIST=$(list_for JWBFO)
js info JWBFO
build/jetwire -c dpdk-config/default.conf --set "eal.file_prefix=$RUNID" \
  --set "shm.instance=$RUNID" --set "nats.servers=$JW_LIST" > "$WORK/jetwire.log" 2>&1 &
JW_PID=$!
for _ in $(seq 300); do grep -q "ready (NATS session up)" "$WORK/jetwire.log" && break; sleep 0.1; done
srv=$(sed -n 's/.*ready (NATS session up) on nats:\/\/\([0-9.]*\):.*/\1/p' "$WORK/jetwire.log" | head -1)
node=$(node_of "$srv")
[ -n "$node" ] || { echo "failover: jetwire not connected"; tail "$WORK/jetwire.log"; exit 1; }
# acked totals every 100 ms, stamped on arrival
build/jwstat --prefix "$RUNID" --json --interval 0.1 --count 400 2>/dev/null | python3 -c '
import json, sys, time
for line in sys.stdin:
    try: j = json.loads(line)
    except ValueError: continue
    print("%.4f %d" % (time.monotonic(), j["stats"]["acked"]), flush=True)
' > "$WORK/jw-samples" &
SAMPLER=$!
sleep 0.5
t0=$(python3 -c 'import time; print("%.4f" % time.monotonic())')
build/jwpub -i "$RUNID" -s bfo.a -n "$N" --rate "$RATE" --wait --timeout 120 > "$WORK/jwpub.txt" &
PUB=$!
sleep "$KILL_AT"
scripts/testnet.sh node-kill "$node"
wait "$PUB"; jw_rc=$?
sleep 0.5
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
kill -TERM "$JW_PID"; wait "$JW_PID" 2>/dev/null; JW_PID=
scripts/testnet.sh node-start "$node"
cat "$WORK/jwpub.txt"
js check JWBFO bfo.a "$N" > "$WORK/jw-check" 2>&1; jw_check=$?
cat "$WORK/jw-check"
jw_resent=$(sed -n 's/.*engine: sent [0-9]*, resent \([0-9]*\).*/\1/p' "$WORK/jetwire.log" | tail -1)
echo "jetwire: connected to n$node (killed at ${KILL_AT}s), jwpub rc $jw_rc, resent by jetwire ${jw_resent:-?}"

# --- nats.go -----------------------------------------------------------------------------
js add JWBFO2 'bfo2.>' --file --replicas 3 || exit 1
sleep 1
GO_LIST=$(list_for JWBFO2)
js info JWBFO2
ip netns exec jw-srv build/bench/natsgo_failover --url "$GO_LIST" -s bfo2.a -n "$N" --rate "$RATE" \
  --url-file "$WORK/go-url" > "$WORK/go.json" 2> "$WORK/go.err" &
GO_PID=$!
for _ in $(seq 50); do [ -s "$WORK/go-url" ] && break; sleep 0.1; done
gsrv=$(sed -n 's/nats:\/\/\([0-9.]*\):.*/\1/p' "$WORK/go-url")
gnode=$(node_of "$gsrv")
[ -n "$gnode" ] || { echo "failover: nats.go not connected"; cat "$WORK/go.err"; exit 1; }
sleep "$KILL_AT"
scripts/testnet.sh node-kill "$gnode"
wait "$GO_PID"; go_rc=$?; GO_PID=
scripts/testnet.sh node-start "$gnode"
js check JWBFO2 bfo2.a "$N" > "$WORK/go-check" 2>&1; go_check=$?
cat "$WORK/go-check"
echo "nats.go: connected to n$gnode (killed at ${KILL_AT}s), rc $go_rc"

# --- table and plot ----------------------------------------------------------------------
python3 - "$WORK/jw-samples" "$t0" "$WORK/go.json" "$OUT" "$KILL_AT" "$N" "$jw_check" \
  "$go_check" "${jw_resent:-0}" <<'PY'
import json, sys
samples, t0, gofile, out, kill_at, n = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6])
jw_check, go_check, jw_resent = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
pts = [tuple(map(float, l.split())) for l in open(samples) if l.strip()]
base = None
jw = {}
for t, a in pts:
    if t < t0:
        base = a
        continue
    b = int((t - t0) * 10)
    jw[b] = a - (base or 0)        # cumulative acked at bucket b
jwb = []
prev = 0
for b in range(max(jw) + 1 if jw else 0):
    cur = jw.get(b, prev)
    jwb.append(max(0, cur - prev)); prev = cur
try:
    g = json.load(open(gofile))
except Exception:
    g = {"buckets": [], "acked": 0, "failed": 0, "resent": 0, "client": "nats.go"}
gob = g["buckets"]
rows = max(len(jwb), len(gob))
with open(out + "/failover.tsv", "w") as f:
    f.write("# ms\tjetwire\tnats.go\n")
    for b in range(rows):
        f.write("%d\t%d\t%d\n" % (b * 100, jwb[b] if b < len(jwb) else 0, gob[b] if b < len(gob) else 0))
def last(bk):
    # the bucket in which 99% of the messages were acked: the run's end
    c = 0
    for i, v in enumerate(bk):
        c += v
        if c >= 0.99 * n:
            return i
    return len(bk) - 1
def gap(bk, rate_per_bucket):
    # longest run of buckets below half the rate, from the kill to the run's end
    k = int(kill_at * 10); best = run = 0
    for v in bk[k:last(bk)]:
        run = run + 1 if v < rate_per_bucket / 2 else 0
        best = max(best, run)
    return best * 100
def low(bk):
    # the fewest acks in a 100 ms bucket during the 2 s after the kill
    k = int(kill_at * 10)
    w = bk[k:k + 20]
    return min(w) if w else 0
rpb = 1000
jgap, ggap = gap(jwb, rpb), gap(gob, rpb)
jlow, glow = low(jwb), low(gob)
tab = []
tab.append("client                         acked    failed  resent by the caller     stored       dip <50% after kill  fewest acks/100 ms in the 2 s after")
tab.append("%-30s %-8d %-7d %-24s %-12s %-20s %d" % ("jetwire (jwpub, msgid)", sum(jwb), 0, "0 (jetwire resent %d)" % jw_resent, "once, order" if jw_check == 0 else "FAILED", "%d ms" % jgap, jlow))
tab.append("%-30s %-8d %-7d %-24d %-12s %-20s %d" % ("nats.go PublishMsgAsync+MsgId", g.get("acked", 0), g.get("failed", 0), g.get("resent", 0), "once, order" if go_check == 0 else "see check", "%d ms" % ggap, glow))
open(out + "/failover-table.txt", "w").write("\n".join(tab) + "\n")
print("\n".join(tab))
with open(out + "/failover-headlines.tsv", "w") as f:
    f.write("failover\tjetwire dip after SIGKILL (<50%% of rate)\t%d\tms\t\t\n" % jgap)
    f.write("failover\tnats.go dip after SIGKILL (<50%% of rate)\t%d\tms\t\t\n" % ggap)
    f.write("failover\tjetwire fewest acks per 100 ms after SIGKILL\t%d\tmsgs\t\t\n" % jlow)
    f.write("failover\tnats.go fewest acks per 100 ms after SIGKILL\t%d\tmsgs\t\t\n" % glow)
    f.write("failover\tnats.go publishes failed (resent by the caller)\t%d\tmsgs\t\t\n" % g.get("failed", 0))
    f.write("failover\tjetwire stored exactly once, in order\t%s\t\t\t\n" % ("yes" if jw_check == 0 else "NO"))
PY
gnuplot <<GP 2>/dev/null || echo "failover: gnuplot failed"
set terminal pngcairo size 1000,450
set output "$OUT/failover.png"
set title "Acked messages per 100 ms, SIGKILL of the connected node at ${KILL_AT} s ($RATE msgs/s, R3 file stream)"
set xlabel "time since the first publish (ms)"
set ylabel "acked per 100 ms"
set arrow from ${KILL_AT}*1000, graph 0 to ${KILL_AT}*1000, graph 1 nohead dt 2
plot "$OUT/failover.tsv" using 1:2 with steps lw 2 title "jetwire", \
     "$OUT/failover.tsv" using 1:3 with steps lw 2 title "nats.go js.PublishMsgAsync"
GP
# nats.go's exactly-once is required, its order is not (the caller's resends reorder)
grep -q " 0 missing, 0 duplicated" "$WORK/go-check" || [ "$go_check" -eq 0 ] || go_check=1
[ "$jw_check" -eq 0 ] && { [ "$go_check" -eq 0 ] || grep -q " 0 missing, 0 duplicated" "$WORK/go-check"; }
