#!/usr/bin/env bash
# TCP benchmark (make bench): jetwire's userspace TCP against the Linux kernel's.
#   1. build/bench/bench_tcp: TX-path cycles per segment over a null device, ACK input,
#      in-place vs chained retransmission vs a payload copy (no network).
#   2. Bulk throughput to the same kernel sink in netns jw-srv, in one run:
#        jwtcpsend (DPDK net_af_packet on jwv0 -> jwv1, 198.18.0.1)
#        a kernel TCP socket from netns jw-cli (veth jwc0 198.18.1.2 -> jwc1 198.18.1.1 in
#        jw-srv), once with offloads off (like jwv0/jwv1: 1500-byte frames, software
#        checksums) and once with the kernel's default offloads (TSO/GSO/GRO);
#      throughput is what the sink measured (accept to EOF); sha256s are checked; ratio.
#   3. CPU cycles per segment on jwtcpsend's TX lcore (rte_rdtsc around its work).
#   4. Loss sweep (issue 13): at 0, 0.1, 1 and 2 % drop + duplication + reordering in both
#      directions (the port's [fault] stage), plus 1 % with Reno's beta (tcp.beta=50; the
#      default is CUBIC's 70) for comparison: jwtcpsend to the same sink (sink-measured throughput, sha256 checked) and
#      the engine (jetwire + jwpub, BENCH_TCP_ENGINE_MSGS publishes with Msg-Id, default
#      200,000: the acked rate jwpub reports, every message acked and stored exactly once).
#      BENCH_TCP_LOSS_REPEAT rounds (default 3), the loss rates interleaved inside each
#      round; per row the median, min and max, and the median's ratio to the clean median.
#      Plot: tcp-loss.png in JW_BENCH_OUT (make bench's result directory) or build/.
# Root; takes /run/jw-testnet.lock itself (set JW_TESTNET_LOCKED=1 if the caller holds it).
# Everything stays on 198.18.0.0/15 inside namespaces; jw-cli and the jwc veth are removed.
# Env: BENCH_TCP_BYTES (default 512 MiB), BENCH_TCP_LOSS_BYTES (64 MiB per sweep run),
# BENCH_TCP_LOSS_REPEAT (3), BENCH_TCP_ENGINE_MSGS (200000), BENCH_TCP_LOSS_ONLY=1 (part 4 only).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
if [ "${JW_TESTNET_LOCKED:-0}" != 1 ]; then
  JW_TESTNET_LOCKED=1 exec flock /run/jw-testnet.lock "$0" "$@"
fi
BYTES=${BENCH_TCP_BYTES:-$((512 * 1024 * 1024))}
PORT=5301
WORK=$(mktemp -d /tmp/jw-bench-tcp.XXXXXX)
SINK_PID=

cleanup() {
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  ip netns del jw-cli 2>/dev/null
  ip netns exec jw-srv ip link del jwc1 2>/dev/null
  # the loss sweep's jetwire instances: their EAL directories and shm object
  [ -n "${RUNID:-}" ] && { rm -rf /var/run/dpdk/"$RUNID"-*; shm_rm "$RUNID"; }
  # and jwtcpsend's (jw-tcpsend-<pid>), once their process is gone
  for d in /var/run/dpdk/jw-tcpsend-*; do
    [ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

rc=0
"$ROOT/scripts/testnet.sh" up >/dev/null || { echo "tcp: testnet up failed"; exit 1; }
if [ "${BENCH_TCP_LOSS_ONLY:-0}" != 1 ]; then # parts 1-3 (BENCH_TCP_LOSS_ONLY=1: only 4)
echo "== bench_tcp (no network)"
"$ROOT/build/bench/bench_tcp" 200000 | sed 's/^/tcp: /'

ip netns del jw-cli 2>/dev/null
ip netns add jw-cli
ip link add jwc0 netns jw-cli type veth peer name jwc1 netns jw-srv
ip netns exec jw-cli sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec jw-cli ip link set lo up
ip netns exec jw-cli ip addr add 198.18.1.2/24 dev jwc0
ip netns exec jw-srv ip addr add 198.18.1.1/24 dev jwc1
ip netns exec jw-cli ip link set jwc0 up
ip netns exec jw-srv ip link set jwc1 up

offloads() { # on|off
  ip netns exec jw-cli ethtool -K jwc0 rx "$1" tx "$1" tso "$1" gso "$1" gro "$1" >/dev/null 2>&1
  ip netns exec jw-srv ethtool -K jwc1 rx "$1" tx "$1" tso "$1" gso "$1" gro "$1" >/dev/null 2>&1
}

ip netns exec jw-srv python3 "$ROOT/tests/integration/tcp_sink.py" --bind 0.0.0.0 \
  --port $PORT --conns 3 --out "$WORK/sink.out" --ready "$WORK/ready" --timeout 300 &
SINK_PID=$!
for _ in $(seq 100); do [ -f "$WORK/ready" ] && break; sleep 0.05; done

echo "== jwtcpsend $BYTES bytes"
"$ROOT/build/jwtcpsend" -c "$ROOT/dpdk-config/default.conf" --dst 198.18.0.1:$PORT \
  --bytes "$BYTES" --timeout 200 2>/dev/null | tee "$WORK/jw.out" | grep -E "cycles|seconds|sent|failed"
offloads off
echo "== kernel sender, offloads off"
ip netns exec jw-cli python3 "$ROOT/tests/bench/tcp/ksend.py" 198.18.1.1 $PORT "$BYTES" | tee "$WORK/k1.out"
offloads on
echo "== kernel sender, default offloads"
ip netns exec jw-cli python3 "$ROOT/tests/bench/tcp/ksend.py" 198.18.1.1 $PORT "$BYTES" | tee "$WORK/k2.out"
wait "$SINK_PID"; SINK_PID=

mapfile -t R < "$WORK/sink.out"
[ ${#R[@]} -eq 3 ] || { echo "tcp: sink saw ${#R[@]} connections"; cat "$WORK/sink.out"; exit 1; }
jw_hash=$(awk '/^sent/ {print $5}' "$WORK/jw.out")
for i in 0 1 2; do
  h=$(echo "${R[$i]}" | awk '{print $5}')
  [ "$h" = "$jw_hash" ] || { echo "tcp: sha256 mismatch on run $i: ${R[$i]}"; rc=1; }
done
mbit() { echo "${R[$1]}" | awk -v b="$BYTES" '{printf "%.1f", b * 8 / $6 / 1e6}'; }
jw=$(mbit 0); k_off=$(mbit 1); k_on=$(mbit 2)
cyc=$(awk '/^tx_cycles_per_segment/ {print $2, $6}' "$WORK/jw.out")
echo "tcp: jwtcpsend ${jw} Mbit/s; kernel (offloads off) ${k_off} Mbit/s; kernel (default offloads) ${k_on} Mbit/s"
awk -v a="$jw" -v b="$k_off" -v c="$k_on" 'BEGIN {printf "tcp: ratio jwtcpsend/kernel %.2f (offloads off), %.2f (default offloads)\n", a / b, a / c}'
echo "tcp: TX lcore cycles per segment (incl. device tx_burst, TCP only): $cyc"
fi

# 4. Loss sweep: jwtcpsend and the engine, interleaved rounds.
source "$ROOT/scripts/bench-jetwire.bash"
RUNID=${JW_BENCH_RUN_ID:-jw-bench-tcp-$$}-loss
CLI_CPUS=0-1
JW_SETS=()
cd "$ROOT"
val() { # a counter from the last jwtcpsend summary
  awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' "$WORK/l.out"
}
faults() { # p seed: the fault-stage overrides
  local k
  for k in tx_drop rx_drop tx_dup rx_dup tx_reorder rx_reorder; do printf -- '--set fault.%s=%s ' "$k" "$1"; done
  printf -- '--set fault.seed=%s' "$2"
}
LB=${BENCH_TCP_LOSS_BYTES:-$((64 * 1024 * 1024))}
REP=${BENCH_TCP_LOSS_REPEAT:-3}
EN=${BENCH_TCP_ENGINE_MSGS:-200000}
ROWS="0 0.001 0.01 0.02 0.01:tcp.beta=50"
NROWS=5
ip netns exec jw-srv python3 "$ROOT/tests/integration/tcp_sink.py" --port $((PORT + 1)) \
  --conns $((NROWS * REP)) --out "$WORK/lsink.out" --ready "$WORK/lready" --timeout 900 &
SINK_PID=$!
for _ in $(seq 100); do [ -f "$WORK/lready" ] && break; sleep 0.05; done
echo "== loss sweep: $REP rounds of [$ROWS] (drop = dup = reorder = p, both ways);" \
     "jwtcpsend $LB bytes, engine $EN publishes per run"
: > "$WORK/lruns"
for r in $(seq "$REP"); do
  for row in $ROWS; do
    p=${row%%:*}; extra=(); [ "$row" != "$p" ] && extra=(--set "${row#*:}")
    # jwtcpsend
    "$ROOT/build/jwtcpsend" -c "$ROOT/dpdk-config/default.conf" --dst 198.18.0.1:$((PORT + 1)) \
      --bytes "$LB" --timeout 200 $(faults "$p" $((11 + r))) "${extra[@]}" 2>/dev/null > "$WORK/l.out"
    h=$(awk '/^sent/ {print $5}' "$WORK/l.out")
    # the engine: a fresh stream and a fresh jetwire through the same fault stage
    st=JWBLOSS$r
    ip netns exec jw-srv build/jwjs add "$st" "bloss$r.>" >/dev/null 2>&1
    erate=0 eok=0 ertx=-
    if start_jetwire $(faults "$p" $((6 + r))) "${extra[@]}"; then
      if build/jwpub -i "$RUNID" -s "bloss$r.a" -n "$EN" --subjects 3 --wait --timeout 120 \
           > "$WORK/pub.out" 2>&1; then
        erate=$(sed -n 's/.*acked rate \([0-9]*\) msg.*/\1/p' "$WORK/pub.out")
      fi
      ertx=$(build/jwstat --prefix "$RUNID-$N_JW" --json 2>/dev/null | python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        if "retransmits" in o: yield o
        for v in o.values(): yield from walk(v)
    elif isinstance(o, list):
        for v in o: yield from walk(v)
try:
    print(sum(c["retransmits"] for c in walk(json.load(sys.stdin))))
except Exception:
    print("-")')
      stop_jetwire
      grep -q "^reports: $EN acked" "$WORK/pub.out" && ip netns exec jw-srv build/jwjs verify "$st" "$EN" >/dev/null 2>&1 && eok=1
    fi
    ip netns exec jw-srv build/jwjs rm "$st" >/dev/null 2>&1
    shm_rm "$RUNID"
    echo "$row $r $h $(val retransmits) $(val rto_expiries) $(val loss_probes) $erate $eok $ertx" >> "$WORK/lruns"
    echo "tcp: round $r $row: jwtcpsend rtx $(val retransmits) rto $(val rto_expiries) probes $(val loss_probes);" \
         "engine $erate acked/s, exactly once $([ $eok = 1 ] && echo yes || echo NO), rtx $ertx"
  done
done
wait "$SINK_PID"; SINK_PID=
mapfile -t LR < "$WORK/lsink.out"
[ ${#LR[@]} -eq $((NROWS * REP)) ] || { echo "tcp: loss sweep sink saw ${#LR[@]} connections"; exit 1; }
# One line per run: row round mbit hash-ok rtx rto probes engine-rate engine-ok engine-rtx.
i=0
while read -r row r h rtx rto pr erate eok ertx; do
  sh=$(echo "${LR[$i]}" | awk '{print $5}')
  ok=1; [ -n "$h" ] && [ "$sh" = "$h" ] || { ok=0; echo "tcp: loss $row round $r: sha256 mismatch"; rc=1; }
  [ "$eok" = 1 ] || { echo "tcp: loss $row round $r: engine run not acked and stored exactly once"; rc=1; }
  mb=$(echo "${LR[$i]}" | awk -v b="$LB" '{printf "%.1f", b * 8 / $6 / 1e6}')
  echo "$row $r $mb $ok $rtx $rto $pr $erate $eok $ertx"
  i=$((i + 1))
done < "$WORK/lruns" > "$WORK/lres"
PLOT_DIR=${JW_BENCH_OUT:-$ROOT/build}
python3 - "$WORK/lres" "$PLOT_DIR" <<'PY'
import os, shutil, statistics, subprocess, sys
rows = {}
order = []
for l in open(sys.argv[1]):
    f = l.split()
    if f[0] not in rows:
        rows[f[0]] = []; order.append(f[0])
    rows[f[0]].append(f)
def med(v): return statistics.median(v) if v else 0.0
clean_jw = med([float(f[2]) for f in rows["0"]])
clean_en = med([float(f[7]) for f in rows["0"]])
dat = []
for k in order:
    jw = [float(f[2]) for f in rows[k]]
    en = [float(f[7]) for f in rows[k]]
    p, _, extra = k.partition(":")
    name = "%g%%%s" % (float(p) * 100, " " + extra if extra else "")
    rj = med(jw) / clean_jw if clean_jw else 0
    re = med(en) / clean_en if clean_en else 0
    rtx = "/".join(f[4] for f in rows[k]); rto = "/".join(f[5] for f in rows[k])
    ertx = "/".join(f[9] for f in rows[k])
    if not extra:
        print("tcp: loss %s%% median %.1f Mbit/s ratio %.2f" % ("%g" % (float(p) * 100), med(jw), rj))
        print("tcp: engine loss %s%% median %.0f acked/s ratio %.2f" % ("%g" % (float(p) * 100), med(en), re))
    print("tcp: %-16s jwtcpsend median %7.1f Mbit/s (min %.1f max %.1f) %.2fx clean, rtx %s, rto %s;"
          " engine median %6.0f acked/s (min %.0f max %.0f) %.2fx clean, rtx %s"
          % (name, med(jw), min(jw), max(jw), rj, rtx, rto, med(en), min(en), max(en), re, ertx))
    if not extra:
        dat.append((float(p) * 100, rj, min(jw) / clean_jw, max(jw) / clean_jw,
                    re, min(en) / clean_en, max(en) / clean_en))
print("tcp: targets: jwtcpsend at 1% >= 0.5x clean; engine at 1% >= 0.8x clean")
if shutil.which("gnuplot") is None:
    print("tcp: gnuplot not installed: no plot"); sys.exit(0)
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
d = os.path.join(out, "tcp-loss.dat")
with open(d, "w") as fh:
    fh.write("# loss%% jwtcpsend_ratio min max engine_ratio min max\n")
    for r in dat:
        fh.write("%g %.3f %.3f %.3f %.3f %.3f %.3f\n" % r)
gp = os.path.join(out, "tcp-loss.gp")
with open(gp, "w") as fh:
    fh.write('set terminal png size 800,500\nset output "%s"\n' % os.path.join(out, "tcp-loss.png"))
    fh.write('set title "Rate under loss (drop = dup = reorder = p, both ways): median of rounds, bars min..max"\n')
    fh.write('set xlabel "loss p (%)"\nset ylabel "rate / clean median"\nset yrange [0:1.3]\nset key bottom left\nset grid\n')
    fh.write('plot "%s" using 1:2:3:4 with yerrorlines title "jwtcpsend (target 1%%: 0.5)", '
             '"%s" using 1:5:6:7 with yerrorlines title "engine acked/s (target 1%%: 0.8)", '
             '0.5 dt 2 lc 1 notitle, 0.8 dt 2 lc 2 notitle\n' % (d, d))
r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
print("tcp: plot %s" % os.path.join(out, "tcp-loss.png") if r.returncode == 0 else "tcp: gnuplot failed: " + r.stderr.strip())
PY
exit $rc
