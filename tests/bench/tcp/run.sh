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
#   4. Loss sweep: jwtcpsend to the same sink with 0, 0.1, 1 and 2 % drop + duplication +
#      reordering in both directions (the port's [fault] stage), BENCH_TCP_LOSS_REPEAT runs
#      each (default 3), the median sink-measured throughput as a ratio to the clean one.
# Root; takes /run/jw-testnet.lock itself (set JW_TESTNET_LOCKED=1 if the caller holds it).
# Everything stays on 198.18.0.0/15 inside namespaces; jw-cli and the jwc veth are removed.
# Env: BENCH_TCP_BYTES (default 512 MiB), BENCH_TCP_LOSS_BYTES (64 MiB per sweep run).
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
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== bench_tcp (no network)"
"$ROOT/build/bench/bench_tcp" 200000 | sed 's/^/tcp: /'

"$ROOT/scripts/testnet.sh" up >/dev/null || { echo "tcp: testnet up failed"; exit 1; }
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
rc=0
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

# 4. Loss sweep.
val() { # a counter from the last jwtcpsend summary
  awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' "$WORK/l.out"
}
LB=${BENCH_TCP_LOSS_BYTES:-$((64 * 1024 * 1024))}
REP=${BENCH_TCP_LOSS_REPEAT:-3}
LOSSES="0 0.001 0.01 0.02"
ip netns exec jw-srv python3 "$ROOT/tests/integration/tcp_sink.py" --port $((PORT + 1)) \
  --conns $((4 * REP)) --out "$WORK/lsink.out" --ready "$WORK/lready" --timeout 600 &
SINK_PID=$!
for _ in $(seq 100); do [ -f "$WORK/lready" ] && break; sleep 0.05; done
echo "== loss sweep: $LB bytes, $REP runs per loss rate (drop = dup = reorder = p, both ways)"
for p in $LOSSES; do
  for r in $(seq "$REP"); do
    "$ROOT/build/jwtcpsend" -c "$ROOT/dpdk-config/default.conf" --dst 198.18.0.1:$((PORT + 1)) \
      --bytes "$LB" --timeout 200 --set fault.tx_drop=$p --set fault.rx_drop=$p \
      --set fault.tx_dup=$p --set fault.rx_dup=$p --set fault.tx_reorder=$p \
      --set fault.rx_reorder=$p --set fault.seed=$((11 + r)) 2>/dev/null > "$WORK/l.out"
    h=$(awk '/^sent/ {print $5}' "$WORK/l.out")
    echo "$p $h $(val retransmits) $(val rto_expiries) $(val spurious_undos)" >> "$WORK/lruns"
  done
done
wait "$SINK_PID"; SINK_PID=
mapfile -t LR < "$WORK/lsink.out"
mapfile -t RUNS < "$WORK/lruns"
[ ${#LR[@]} -eq $((4 * REP)) ] || { echo "tcp: loss sweep sink saw ${#LR[@]} connections"; exit 1; }
i=0; clean=
for p in $LOSSES; do
  vals=()
  for r in $(seq "$REP"); do
    read -r _ h rtx rto und <<< "${RUNS[$i]}"
    sh=$(echo "${LR[$i]}" | awk '{print $5}')
    [ "$sh" = "$h" ] || { echo "tcp: loss $p run $r: sha256 mismatch"; rc=1; }
    vals+=("$(echo "${LR[$i]}" | awk -v b="$LB" '{printf "%.1f", b * 8 / $6 / 1e6}')")
    echo "tcp: loss $p run $r: ${vals[-1]} Mbit/s, retransmits $rtx, rto $rto, undos $und"
    i=$((i + 1))
  done
  med=$(printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
  [ -z "$clean" ] && clean=$med
  awk -v p="$p" -v m="$med" -v c="$clean" 'BEGIN {printf "tcp: loss %s median %.1f Mbit/s ratio %.2f\n", p * 100 "%", m, m / c}'
done
exit $rc
