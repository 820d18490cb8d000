#!/usr/bin/env bash
# TLS with TCP segmentation offload: jetwire over DPDK net_tap (TSO done in software by
# rte_gso, as tcp_tso uses it) to a nats-server with `tls { ... }` in a namespace of its own.
# The records are written into MSS-sized segments exactly as without TSO; TSO only chains
# several of them behind one header, so records (up to 16 KiB, spanning segments) cross
# TSO packet boundaries freely. Checks: 100,000 messages (dedupe on) acked and stored exactly
# once and in order, TLS 1.3 with records larger than a segment, and TSO in use: more wire
# segments (conn segs_out) than packets handed to the port. Then the same with the fault
# stage's 1% drop/dup/reorder both ways: retransmissions of TSO packets carrying records,
# exactly once again.
#
# Safety (as tcp_tso): jetwire runs inside netns jw-tlstso, which this script creates, so the
# tap interface (jwt6) is born there; the kernel side is 198.18.6.1/24 (nats-server listens
# on the namespace's addresses only: lo and jwt6), jetwire's stack is 198.18.6.2; IPv6 and
# forwarding are off; the namespace is deleted at the end. It does not use the reference
# network; the runner's lock is held around it anyway.
set -uo pipefail
source "$(dirname "$0")/lib-tls.bash"
NS=jw-tlstso
IF=jwt6
TLS_IP=198.18.6.1 # the certificate's IP name (tls_pki)
N=${JW_TEST_N:-100000}
SRV_PID=

tso_cleanup() {
  [ -n "$SRV_PID" ] && { kill -KILL "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; }
  if [ -n "$JW_PID" ] && kill -0 "$JW_PID" 2>/dev/null; then
    kill -KILL "$JW_PID" 2>/dev/null; wait "$JW_PID" 2>/dev/null
  fi
  JW_PID=
  ip netns del "$NS" 2>/dev/null
  rm -rf "/var/run/dpdk/jw-tlstso-$$"
  tls_cleanup
}
trap tso_cleanup EXIT

ip link show "$IF" >/dev/null 2>&1 && fail "an interface $IF exists in the root namespace"
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "cannot create netns $NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
  net.ipv4.ip_forward=0 || fail "sysctl in $NS"

tls_pki
mkdir -p "$JW_TMP/store"
cat > "$JW_TMP/srv.conf" <<EOF
listen: 0.0.0.0:4222
jetstream { store_dir: "$JW_TMP/store" }
tls {
  cert_file: "$PKI/srv.pem"
  key_file: "$PKI/srv.key"
  ca_file: "$PKI/ca.pem"
  timeout: 2
}
EOF
ip netns exec "$NS" nats-server -c "$JW_TMP/srv.conf" > "$JW_TMP/srv.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do grep -q "Server is ready" "$JW_TMP/srv.log" && break; sleep 0.1; done
grep -q "Server is ready" "$JW_TMP/srv.log" || { cat "$JW_TMP/srv.log"; fail "TLS nats-server"; }
njs() { # jwjs inside the namespace, over its loopback (the tap does not exist yet)
  JWJS_TLS_CA=$PKI/ca.pem JWJS_TLS_NAME=nats.test ip netns exec "$NS" \
    "$JW_ROOT/build/jwjs" -s tls://127.0.0.1:4222 "$@"
}

# run NAME [--set ...]: one jetwire run of N messages into stream NAME, checked.
run() {
  local stream=$1 inst="jwtt$$"; shift
  njs add "$stream" "$stream.>" > /dev/null || fail "cannot create stream $stream"
  JW_INSTANCE=$inst
  JW_STARTS=$((JW_STARTS + 1))
  JW_LOG=$JW_TMP/jetwire.$JW_STARTS.log
  # net_tap (DPDK 22.11) refuses TSO packets whose segment size plus every header exceeds
  # its MTU: mss 1446 (see tcp_tso). Two TX queues: net_tap wants as many RX as TX queues.
  ip netns exec "$NS" "$JW_ROOT/build/jetwire" -c "$JW_ROOT/dpdk-config/default.conf" \
    --set "eal.file_prefix=jw-tlstso-$$" --set "shm.instance=$inst" \
    --set "port.vdev=net_tap0,iface=$IF" --set port.rx_queues=2 --set port.tx_queues=2 \
    --set port.checksum_offload=on --set port.tso=on --set tcp.mss=1446 \
    --set net.addr=198.18.6.2/24 --set "nats.servers=tls://$TLS_IP:4222" \
    --set "nats.tls_ca_file=$PKI/ca.pem" --set nats.tls_server_name=nats.test "$@" \
    > "$JW_LOG" 2>&1 &
  JW_PID=$!
  for _ in $(seq 200); do ip -n "$NS" link show "$IF" >/dev/null 2>&1 && break; sleep 0.05; done
  ip -n "$NS" link show "$IF" >/dev/null 2>&1 || fail "$IF never appeared in $NS"
  ip link show "$IF" >/dev/null 2>&1 && fail "$IF appeared in the root namespace"
  ip -n "$NS" addr add "$TLS_IP/24" dev "$IF" 2>/dev/null
  ip -n "$NS" link set "$IF" up || fail "$IF up"
  for _ in $(seq 300); do
    grep -q 'ready (NATS session up)' "$JW_LOG" && break
    kill -0 "$JW_PID" 2>/dev/null || fail "jetwire exited"
    sleep 0.1
  done
  grep -q 'ready (NATS session up)' "$JW_LOG" || fail "jetwire not ready after 30 s"
  grep -q 'TSO on' "$JW_LOG" || fail "the port has no TSO"
  grep -E 'TLSv1' "$JW_LOG" | grep -v '^EAL' | head -2
  jwpub -i "$inst" -s "$stream.x" -n "$N" --subjects 4 -z 128 --wait --timeout 120 \
    > "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
  grep -q "^reports: $N acked" "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "not every message acked"; }
  "$JW_ROOT/build/jwstat" --prefix "jw-tlstso-$$" --json > "$JW_TMP/stat.json" || fail "jwstat"
  engine_stop
  rm -rf "/var/run/dpdk/jw-tlstso-$$"
  njs verify "$stream" "$N" || fail "stream count"
  njs check "$stream" "$stream.x" "$N" || fail "stored messages"
  local pk
  pk=$(sed -n 's/.*port: rx [0-9]* tx \([0-9]*\) packets.*/\1/p' "$JW_LOG" | tail -1)
  python3 "$JW_ROOT/tests/integration/jwstat_conn.py" "$JW_TMP/stat.json" > "$JW_TMP/conn.json" ||
    fail "no connection in the telemetry"
  python3 - "$JW_TMP/conn.json" "${pk:-0}" <<'PY' || fail "TSO/TLS counters"
import json, sys
c = json.load(open(sys.argv[1]))
pkts = int(sys.argv[2])
per = c["tls_bytes_sealed"] / max(1, c["tls_records_sealed"])
print(f"{c['tls_version']} {c['tls_cipher']}: {c['tls_records_sealed']} records sealed, "
      f"{per:.0f} B plaintext per record; {c['segs_out']} wire segments in {pkts} port "
      f"packets; retransmits {c['retransmits']}")
assert c["tls_version"] == "TLSv1.3", c
assert per > 1446, "records no larger than a segment"
# every TSO packet carries several wire segments: fewer packets than segments
assert 0 < pkts < c["segs_out"] * 0.8, "TSO not in use"
PY
  njs rm "$stream" > /dev/null 2>&1
}

run TLSTSO
run TLSTSOF --set fault.tx_drop=0.01 --set fault.rx_drop=0.01 --set fault.tx_dup=0.01 \
  --set fault.rx_dup=0.01 --set fault.tx_reorder=0.01 --set fault.rx_reorder=0.01 \
  --set fault.seed=11
retx=$(python3 -c 'import json,sys
def f(o):
    if isinstance(o, dict):
        if "retransmits" in o: return o["retransmits"]
        for v in o.values():
            r = f(v)
            if r is not None: return r
    elif isinstance(o, list):
        for v in o:
            r = f(v)
            if r is not None: return r
print(f(json.load(open(sys.argv[1]))) or 0)' "$JW_TMP/stat.json")
[ "${retx:-0}" -gt 0 ] || fail "the lossy run retransmitted nothing"
echo "PASS: TLS over TSO (net_tap): $N messages stored exactly once, clean and with 1% faults"
