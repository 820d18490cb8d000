#!/usr/bin/env bash
# TLS benchmark (make bench; issue 15): what TLS costs jetwire and what it costs cnats, in one
# run. Two nats-servers 2.9 with JetStream, both pinned to BENCH_SERVER_CPU: the reference
# server (plain, 198.18.0.1) and a TLS one (`tls { cert_file, key_file }`, 198.18.0.5, the
# test CA of tests/integration/lib-tls.bash). Rows, dedupe on (Nats-Msg-Id) in every row:
#   jetwire plain  -> nats://198.18.0.5:4223   jetwire TLS -> tls://198.18.0.5 (TLS 1.3)
#   cnats plain    -> nats://198.18.0.5:4223   cnats TLS   -> tls://198.18.0.5
#                    (natsOptions_SetSecure), js_PublishMsgAsync, MaxPending 50,000
# The plain rows go to a twin of the TLS server (same configuration without the tls block,
# 198.18.0.5:4223, pinned to the same CPU), so that the two servers differ only by TLS.
# each BENCH_TLS_COUNT messages (default 300,000) of 128 bytes over 5 subjects, as fast as
# the client goes (build/bench/bench_engine, the engine benchmark's measuring client), the
# client side on BENCH_CLIENT_CPU. BENCH_TLS_REPEATS rounds (default 3), interleaved, plain
# and TLS taking turns at going first; the
# table shows per row the run with the median acked rate. Per row: acked msgs/s, call p99,
# and for jetwire the TX lcore's busy cycles per packet sent (TSC cycles of busy loop
# iterations from the stats socket / packets the port sent, pure ACKs included).
# First, without the network, build/bench/bench_tls: ns and cycles to seal one full-segment
# record per AEAD (and memcpy of the same bytes), and to open a PubAck-sized one.
# Headline: the acked rate TLS costs each client (1 - TLS/plain); target: jetwire's cost
# below cnats's.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "tls: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
for b in build/jetwire build/jwjs build/jwstat build/bench/bench_engine build/bench/bench_tls; do
  [ -x "$b" ] || { echo "tls: $b missing: make all benches" >&2; exit 1; }
done
source "$ROOT/tests/integration/lib-tls.bash"   # certificates, the TLS server, cleanup on exit

N=${BENCH_TLS_COUNT:-300000}
REPEATS=${BENCH_TLS_REPEATS:-3}
SRV_CPUS=${BENCH_SERVER_CPU:-1}
CLI_CPUS=${BENCH_CLIENT_CPU:-0}
OUT=${JW_BENCH_OUT:-$ROOT/build/bench-results/tls-$(date -u +%Y%m%dT%H%M%SZ)}
RUNID=${JW_BENCH_RUN_ID:-jw-bench-$$}-tls
mkdir -p "$OUT"
ROWS=$OUT/tls-rows.jsonl
: > "$ROWS"
say() { echo "tls: $*"; }

# the record layer alone first (no network): cycles per sealed segment
build/bench/bench_tls | tee "$OUT/tls-seal.txt"
engine_net_up
tls_pki
tls_server_start
PLAIN_URL=nats://$TLS_IP:4223
mkdir -p "$JW_TMP/twin-store"
printf 'listen: %s:4223\njetstream { store_dir: "%s" }\n' "$TLS_IP" "$JW_TMP/twin-store" > "$JW_TMP/twin.conf"
ip netns exec jw-srv nats-server -c "$JW_TMP/twin.conf" > "$JW_TMP/twin.log" 2>&1 &
TWIN_PID=$!
trap 'kill -KILL "$TWIN_PID" 2>/dev/null; wait "$TWIN_PID" 2>/dev/null; tls_cleanup' EXIT
for _ in $(seq 100); do grep -q "Server is ready" "$JW_TMP/twin.log" && break; sleep 0.1; done
grep -q "Server is ready" "$JW_TMP/twin.log" || { cat "$JW_TMP/twin.log"; fail "plain twin server"; }
taskset -a -p -c "$SRV_CPUS" "$TWIN_PID" > /dev/null || say "cannot pin the plain server"
taskset -a -p -c "$SRV_CPUS" "$TLS_SRV_PID" > /dev/null || say "cannot pin the TLS server"
say "nats-server $(nats-server --version | head -1): plain twin pid $TWIN_PID ($PLAIN_URL), TLS pid $TLS_SRV_PID ($TLS_URL), both on CPUs $SRV_CPUS; client side on CPUs $CLI_CPUS; $N messages x 128 B, 5 subjects, dedupe msgid, $REPEATS repeats"

NJW=0
row() { # REP CLIENT MODE
  local rep=$1 client=$2 mode=$3 stream=JWTLSB sj=tlsb js=(jwjs -s "$PLAIN_URL") args rc cyc="" pk=""
  [ "$mode" = tls ] && js=(tjwjs)
  "${js[@]}" add "$stream" "$sj.>" > /dev/null || { say "cannot create the stream"; return 1; }
  args=(-s "$sj.x" -n "$N" --subjects 5 -z 128 --timeout 120 --tag "$$-$rep-$client-$mode")
  if [ "$client" = cnats ]; then
    local url=$PLAIN_URL tlsargs=()
    [ "$mode" = tls ] && { url=$TLS_URL; tlsargs=(--tls-ca "$PKI/ca.pem" --tls-name nats.test); }
    ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
      --url "$url" --max-pending 50000 --msgid "${tlsargs[@]}" "${args[@]}" \
      > "$JW_TMP/row.json" 2> "$JW_TMP/row.err"
    rc=$?
  else
    local sets=(--set "nats.servers=$PLAIN_URL")
    [ "$mode" = tls ] && sets=("${TLS_SET[@]}")
    NJW=$((NJW + 1))
    JW_INSTANCE=$RUNID
    JW_LOG=$JW_TMP/jw.$NJW.log
    taskset -c "$CLI_CPUS" build/jetwire -c dpdk-config/default.conf \
      --set "eal.file_prefix=$RUNID-$NJW" --set "shm.instance=$RUNID" \
      --set "eal.lcores=(0-2)@($CLI_CPUS)" "${sets[@]}" > "$JW_LOG" 2>&1 &
    JW_PID=$!
    for _ in $(seq 300); do
      grep -q "ready (NATS session up)" "$JW_LOG" && break
      kill -0 "$JW_PID" 2>/dev/null || break
      sleep 0.1
    done
    taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" "${args[@]}" \
      > "$JW_TMP/row.json" 2> "$JW_TMP/row.err"
    rc=$?
    build/jwstat --prefix "$RUNID-$NJW" --json > "$JW_TMP/stat.json" 2>/dev/null
    engine_stop
    cyc=$(python3 - "$JW_TMP/stat.json" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception:
    print(""); raise SystemExit
best = 0
def walk(o):
    global best
    if isinstance(o, dict):
        if o.get("role") == "tx" and "busy_cycles" in o:
            best = max(best, o["busy_cycles"])
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(j)
print(best if best else "")
PY
)
    pk=$(sed -n 's/.*port: rx [0-9]* tx \([0-9]*\) packets.*/\1/p' "$JW_LOG" | tail -1)
    rm -rf /var/run/dpdk/"$RUNID-$NJW"
  fi
  sed "s/^/    | $client $mode: /" "$JW_TMP/row.err"
  local stored
  stored=$("${js[@]}" info "$stream" 2>/dev/null | sed -n 's/^stream [^:]*: \([0-9]*\) messages.*/\1/p')
  [ "${stored:-0}" = "$N" ] || say "$client $mode: the stream holds ${stored:-?} messages, expected $N"
  "${js[@]}" rm "$stream" > /dev/null 2>&1
  [ -s "$JW_TMP/row.json" ] || echo "{\"status\":$rc}" > "$JW_TMP/row.json"
  jq -c --arg c "$client" --arg m "$mode" --argjson rep "$rep" --argjson stored "${stored:-null}" \
     --arg cyc "$cyc" --arg pk "$pk" \
     '. + {client: $c, mode: $m, rep: $rep, stored: $stored,
           tx_busy_cycles: ($cyc | tonumber? // null), tx_packets: ($pk | tonumber? // null)}' \
     "$JW_TMP/row.json" >> "$ROWS"
}

for rep in $(seq "$REPEATS"); do
  say "-- repeat $rep/$REPEATS"
  # the order alternates between repeats: a row never always runs first
  if [ $((rep % 2)) -eq 1 ]; then order="plain tls"; else order="tls plain"; fi
  for client in jetwire cnats; do
    for mode in $order; do
      row "$rep" "$client" "$mode"
    done
  done
done

python3 - "$ROWS" "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]
def med(client, mode):
    rs = [r for r in rows if r["client"] == client and r["mode"] == mode and r.get("acked_rate")]
    if not rs:
        return None
    rs.sort(key=lambda r: r["acked_rate"])
    return rs[len(rs) // 2]
lines = ["client   mode   acked msgs/s   call p99 ns   call max ns   TX cycles/packet   runs"]
cost = {}
for c in ("jetwire", "cnats"):
    got = {}
    for m in ("plain", "tls"):
        r = med(c, m)
        got[m] = r
        if r is None:
            lines.append(f"{c:8} {m:6} {'-':>12}")
            continue
        cpp = "-"
        if r.get("tx_busy_cycles") and r.get("tx_packets"):
            cpp = f"{r['tx_busy_cycles'] / r['tx_packets']:.0f}"
        n = len([x for x in rows if x["client"] == c and x["mode"] == m])
        lines.append(f"{c:8} {m:6} {r['acked_rate']:12.0f} {r['call_ns']['p99']:13} "
                     f"{r['call_ns']['max']:13} {cpp:>18} {n:6}")
    if got["plain"] and got["tls"]:
        cost[c] = 1 - got["tls"]["acked_rate"] / got["plain"]["acked_rate"]
        lines.append(f"{c:8} TLS costs {100 * cost[c]:.1f}% of the acked rate")
text = "\n".join(lines)
print(text)
open(f"{out}/tls-table.txt", "w").write(text + "\n")
with open(f"{out}/tls-headlines.tsv", "w") as h:
    for c in ("jetwire", "cnats"):
        v = f"{100 * cost[c]:.1f}" if c in cost else "?"
        h.write(f"tls\tacked-rate cost of TLS, {c}\t{v}\t%\t\t\n")
    if "jetwire" in cost and "cnats" in cost:
        ok = "met" if cost["jetwire"] < cost["cnats"] else "NOT met"
        h.write(f"tls\tTLS costs jetwire less than cnats\t{100 * cost['jetwire']:.1f}\t%\t< {100 * cost['cnats']:.1f}\t{ok}\n")
    for l in open(f"{out}/tls-seal.txt"):
        if l.startswith("tls: seal AES-128-GCM (1.3)"):
            h.write(f"tls\tTX seal of a 1438-byte record, AES-128-GCM (bench_tls)\t{l.split()[8]}\tcycles\t\t\n")
    r = med("jetwire", "plain"), med("jetwire", "tls")
    if r[0] and r[1]:
        h.write(f"tls\tjetwire call p99 plain / TLS\t{r[0]['call_ns']['p99']}/{r[1]['call_ns']['p99']}\tns\t\t\n")
PY
