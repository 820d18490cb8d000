#!/usr/bin/env bash
# TSO interop: jwtcpsend over DPDK net_tap, which offers TCP segmentation offload and does it
# in software (rte_gso), to a Linux kernel sink: 256 MiB on a clean link and 64 MiB with 2 %
# drop, 1 % duplication and reordering both ways ([fault]) arrive intact, and TSO was used.
#
# Safety: jwtcpsend runs inside a network namespace this script creates (jw-tso), so the tap
# interface DPDK creates (jwt0) is born in that namespace; the script checks that no jwt0
# exists in the root namespace and gives up if one does. The kernel side of jwt0 is
# 198.18.4.1/24 with the sink, jetwire's stack is 198.18.4.2, IPv6 and forwarding are off in
# the namespace, and the namespace (with the interface) is deleted at the end. It does not use
# the reference network; the runner's lock is held around it anyway.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SENDER=$ROOT/build/jwtcpsend
SINK=$ROOT/tests/integration/tcp_sink.py
NS=jw-tso
IF=jwt0
PORT=5301
BYTES=$((256 * 1024 * 1024))
WORK=$(mktemp -d /tmp/jw-tso-it.XXXXXX)
SINK_PID=
SEND_PID=

cleanup() {
  [ -n "$SEND_PID" ] && kill "$SEND_PID" 2>/dev/null && wait "$SEND_PID" 2>/dev/null
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$SENDER" ] || fail "$SENDER not built (make)"
ip link show "$IF" >/dev/null 2>&1 && fail "an interface $IF exists in the root namespace"
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "cannot create netns $NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
  net.ipv4.ip_forward=0 || fail "sysctl in $NS"

cat > "$WORK/tso.conf" <<EOF
[eal]
lcores = (0-2)@(0-1)
hugepages = auto
memory_mb = 256
log_level = info

[port]
vdev = net_tap0,iface=$IF
rx_queues = 2              # net_tap needs as many RX as TX queues
tx_queues = 2
mtu = 1500
mbufs = 16383
checksum_offload = on
tso = on

[net]
addr = 198.18.4.2/24

# net_tap (DPDK 22.11) refuses a TSO packet whose tso_segsz plus all headers, Ethernet
# included, exceed its MTU (a real NIC compares IPv4 + TCP + payload): 1446 - 12 bytes of
# timestamps = 1434 payload + 66 header bytes = 1500. A refused packet stays with the sender.
[tcp]
mss = 1446

[cores]
control = 1
tx = 2
EOF

# transfer BYTES PORT [jwtcpsend options...]: one connection's transfer, checked.
transfer() {
  local bytes=$1 port=$2; shift 2
  rm -f "$WORK/ready" "$WORK/sink.out"
  # The sink listens on every address of jw-tso (lo and jwt0 only) before jwt0 exists.
  ip netns exec "$NS" python3 "$SINK" --bind 0.0.0.0 --port "$port" --out "$WORK/sink.out" \
    --ready "$WORK/ready" --timeout 150 &
  SINK_PID=$!
  for _ in $(seq 100); do [ -f "$WORK/ready" ] && break; sleep 0.05; done
  [ -f "$WORK/ready" ] || fail "sink did not start"

  ip netns exec "$NS" timeout 150 "$SENDER" -c "$WORK/tso.conf" --dst "198.18.4.1:$port" \
    --bytes "$bytes" --timeout 120 "$@" > "$WORK/send.out" 2> "$WORK/send.err" &
  SEND_PID=$!
  # jwtcpsend keeps asking ARP for 3 s: give the kernel side its address once it exists.
  for _ in $(seq 200); do ip -n "$NS" link show "$IF" >/dev/null 2>&1 && break; sleep 0.02; done
  ip -n "$NS" link show "$IF" >/dev/null 2>&1 || { cat "$WORK/send.err"; fail "$IF never appeared in $NS"; }
  ip link show "$IF" >/dev/null 2>&1 && fail "$IF appeared in the root namespace"
  ip -n "$NS" addr add 198.18.4.1/24 dev "$IF" || fail "address on $IF"
  ip -n "$NS" link set "$IF" up || fail "$IF up"

  wait "$SEND_PID"; SEND_RC=$?; SEND_PID=
  grep -v -e TELEMETRY -e '^EAL' -e qdisc -e 'rte flow' "$WORK/send.err" | tail -5
  cat "$WORK/send.out"
  for _ in $(seq 200); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$SINK_PID" 2>/dev/null; SINK_PID=
  cat "$WORK/sink.out" 2>/dev/null

  [ "$SEND_RC" -eq 0 ] || fail "jwtcpsend exited $SEND_RC"
  sent=$(tail -1 "$WORK/send.out")
  [[ $sent =~ ^sent\ $bytes\ bytes\ sha256\ ([0-9a-f]{64})$ ]] || fail "last line: $sent"
  recv=$(tail -1 "$WORK/sink.out" 2>/dev/null)
  [[ $recv == "received $bytes bytes sha256 ${BASH_REMATCH[1]} "* ]] || fail "sink: $recv"
  tso=$(grep -o "tso_pkts [0-9]*" "$WORK/send.out" | awk '{print $2}')
  [ "${tso:-0}" -gt 0 ] || fail "no TSO packet was sent (tso_pkts ${tso:-none})"
  echo "OK: $bytes bytes through net_tap TSO, $tso TSO packets, sha256 ${BASH_REMATCH[1]}"
}

transfer $BYTES $PORT
# Loss, duplication and reordering of whole packets (TSO ones included) both ways.
transfer $((64 * 1024 * 1024)) $((PORT + 1)) --set fault.tx_drop=0.02 --set fault.rx_drop=0.02 \
  --set fault.tx_dup=0.01 --set fault.rx_dup=0.01 --set fault.tx_reorder=0.01 \
  --set fault.rx_reorder=0.01 --set fault.seed=5
retx=$(grep -o "retransmits [0-9]*" "$WORK/send.out" | head -1 | awk '{print $2}')
[ "${retx:-0}" -gt 0 ] || fail "the lossy run retransmitted nothing"
