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
# and for jetwire the TX lcore's busy cycles per wire segment (TSC cycles of busy loop
# iterations from the stats socket / the connection's segs_out) and the TX lcore thread's
# CPU time per wire segment (utime + stime of rte-worker-2: without descheduled time).
# First, without the network, build/bench/bench_tls: ns and cycles to seal one full-segment
# record per AEAD (and memcpy of the same bytes), and to open a PubAck-sized one.
# BENCH_TLS_JETWIRE_B=PATH: a second jetwire binary (e.g. a build of an earlier commit) as
# client jetwire-b in every repeat, plain and TLS, interleaved with the others: before/after
# in one run.
# BENCH_TLS_PERF=1: perf record of jetwire and the server during each jetwire row
# ($OUT/perf-jetwire-MODE-REP.data).
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

# jetwire is started and stopped by scripts/bench-jetwire.bash (JW_BIN: which binary);
# bench_init: CPU placement, OUT, ROWS ($OUT/tls-rows.jsonl), RUNID, WORK, say
source "$ROOT/scripts/bench-jetwire.bash"
bench_init tls
JW_SETS=()
N=${BENCH_TLS_COUNT:-300000}
REPEATS=${BENCH_TLS_REPEATS:-5}

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
trap 'stop_jetwire; kill -KILL "$TWIN_PID" 2>/dev/null; wait "$TWIN_PID" 2>/dev/null; rm -rf "$WORK"; tls_cleanup' EXIT
for _ in $(seq 100); do grep -q "Server is ready" "$JW_TMP/twin.log" && break; sleep 0.1; done
grep -q "Server is ready" "$JW_TMP/twin.log" || { cat "$JW_TMP/twin.log"; fail "plain twin server"; }
taskset -a -p -c "$SRV_CPUS" "$TWIN_PID" > /dev/null || say "cannot pin the plain server"
taskset -a -p -c "$SRV_CPUS" "$TLS_SRV_PID" > /dev/null || say "cannot pin the TLS server"
say "nats-server $(nats-server --version | head -1): plain twin pid $TWIN_PID ($PLAIN_URL), TLS pid $TLS_SRV_PID ($TLS_URL), both on CPUs $SRV_CPUS; client side on CPUs $CLI_CPUS; $N messages x 128 B, 5 subjects, dedupe msgid, $REPEATS repeats"

CLIENTS="jetwire cnats"
[ -n "${BENCH_TLS_JETWIRE_B:-}" ] && CLIENTS="jetwire jetwire-b cnats"
# CPU time of jetwire's TX lcore thread (lcore 2: "rte-worker-2") so far, in ns, as cpu_ns
# (scripts/bench-jetwire.bash) gives a whole process's: unlike its busy TSC cycles, not
# counting the time it was descheduled
tx_ns() {
  local t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-2 ] && { awk '{print $1}' "$t/schedstat"; return; }
  done
  echo 0
}
# CPU seconds (user + system) of this shell's finished children so far, into variable $1
# (`times` in this shell: a command substitution would ask a subshell, which has none)
child_cpu() {
  times > "$JW_TMP/times"
  printf -v "$1" '%s' "$(tail -1 "$JW_TMP/times" | awk '{ n = 0; for (i = 1; i <= 2; i++) {
    split($i, a, /[ms]/); n += a[1] * 60 + a[2] } print n }')"
}
# The server's read(2) and write(2)/writev(2) calls during a row (perf stat on its syscalls tracepoints;
# "" when perf or the tracepoints are missing): how much it takes per read, and how many
# writes its PubAcks cost (Go's crypto/tls writes each record with a write of its own).
reads_start() { # server pid
  READS_PID=
  perf stat -x, -e syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev -p "$1" \
    -o "$JW_TMP/reads.csv" > /dev/null 2>&1 &
  READS_PID=$!
  sleep 0.2
}
reads_stop() { # -> variables $1 (reads) and $2 (writes)
  local v="" w=""
  if [ -n "$READS_PID" ]; then
    kill -INT "$READS_PID" 2>/dev/null; wait "$READS_PID" 2>/dev/null
    v=$(awk -F, '/sys_enter_read/ && $1 ~ /^[0-9]+$/ {print $1}' "$JW_TMP/reads.csv" 2>/dev/null)
    w=$(awk -F, '/sys_enter_write/ && $1 ~ /^[0-9]+$/ {n += $1; k++} END {if (k) print n}' \
        "$JW_TMP/reads.csv" 2>/dev/null)
  fi
  printf -v "$1" '%s' "$v"
  printf -v "$2" '%s' "$w"
}
row() { # REP CLIENT MODE
  local rep=$1 client=$2 mode=$3 stream=JWTLSB sj=tlsb js=(jwjs -s "$PLAIN_URL") args rc cyc="" pk=""
  local spid=$TWIN_PID c0 c1 k0 k1 j0=0 j1=0 x0=0 x1=0 nreads="" nwrites=""
  [ "$mode" = tls ] && { js=(tjwjs); spid=$TLS_SRV_PID; }
  "${js[@]}" add "$stream" "$sj.>" > /dev/null || { say "cannot create the stream"; return 1; }
  args=(-s "$sj.x" -n "$N" --subjects 5 -z 128 --timeout 120 --tag "$$-$rep-$client-$mode")
  c0=$(cpu_ns "$spid")
  child_cpu k0
  if [ "$client" = cnats ]; then
    reads_start "$spid"
    local url=$PLAIN_URL tlsargs=()
    [ "$mode" = tls ] && { url=$TLS_URL; tlsargs=(--tls-ca "$PKI/ca.pem" --tls-name nats.test); }
    ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
      --url "$url" --max-pending 50000 --msgid "${tlsargs[@]}" "${args[@]}" \
      > "$JW_TMP/row.json" 2> "$JW_TMP/row.err"
    rc=$?
    c1=$(cpu_ns "$spid")
    child_cpu k1
    reads_stop nreads nwrites
  else
    local sets=(--set "nats.servers=$PLAIN_URL")
    [ "$mode" = tls ] && sets=("${TLS_SET[@]}")
    JW_BIN=build/jetwire
    [ "$client" = jetwire-b ] && JW_BIN=$BENCH_TLS_JETWIRE_B
    start_jetwire "${sets[@]}" || say "$client $mode: no session"
    c0=$(cpu_ns "$spid")
    child_cpu k0
    j0=$(cpu_ns "$JW_PID")
    x0=$(tx_ns "$JW_PID")
    reads_start "$spid"
    local perf_pid=
    if [ -n "${BENCH_TLS_PERF:-}" ]; then # a profile of jetwire and the server per row
      perf record -q -F 2999 -g -p "$JW_PID,$spid" -o "$OUT/perf-$client-$mode-$rep.data" \
        > /dev/null 2>&1 &
      perf_pid=$!
    fi
    taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" "${args[@]}" \
      > "$JW_TMP/row.json" 2> "$JW_TMP/row.err"
    rc=$?
    [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid"; }
    c1=$(cpu_ns "$spid")
    child_cpu k1
    j1=$(cpu_ns "$JW_PID")
    x1=$(tx_ns "$JW_PID")
    reads_stop nreads nwrites
    build/jwstat --prefix "$RUNID-$N_JW" --json > "$JW_TMP/stat.json" 2>/dev/null
    stop_jetwire
    # the TX lcore's busy cycles; the connection's wire segments and TLS record counts
    cyc=$(python3 - "$JW_TMP/stat.json" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception:
    print("{}"); raise SystemExit
out = {}
def walk(o):
    if isinstance(o, dict):
        if o.get("role") == "tx" and "busy_cycles" in o:
            out["tx_busy_cycles"] = max(out.get("tx_busy_cycles", 0), o["busy_cycles"])
        if "segs_out" in o and "tls_records_sealed" in o:
            for k in ("segs_out", "tls_records_sealed", "tls_records_opened",
                      "tls_bytes_sealed", "tls_pad_bytes"):
                out[k] = out.get(k, 0) + o.get(k, 0)
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(j)
print(json.dumps(out))
PY
)
    pk=$(sed -n 's/.*port: rx [0-9]* tx \([0-9]*\) packets.*/\1/p' "$WORK/jetwire.log" | tail -1)
    rm -rf /var/run/dpdk/"$RUNID-$N_JW"
    shm_rm "$RUNID"
  fi
  sed "s/^/    | $client $mode: /" "$JW_TMP/row.err"
  local stored
  stored=$("${js[@]}" info "$stream" 2>/dev/null | sed -n 's/^stream [^:]*: \([0-9]*\) messages.*/\1/p')
  [ "${stored:-0}" = "$N" ] || say "$client $mode: the stream holds ${stored:-?} messages, expected $N"
  "${js[@]}" rm "$stream" > /dev/null 2>&1
  [ -s "$JW_TMP/row.json" ] || echo "{\"status\":$rc}" > "$JW_TMP/row.json"
  [ -n "$cyc" ] || cyc='{}'
  jq -c --arg c "$client" --arg m "$mode" --argjson rep "$rep" --argjson stored "${stored:-null}" \
     --argjson jw "$cyc" --arg pk "$pk" --arg nreads "$nreads" --arg nwrites "$nwrites" \
     --argjson srv_s "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print (b - a) / 1e9}')" \
     --argjson tx_s "$(awk -v a="$x0" -v b="$x1" 'BEGIN {print (b - a) / 1e9}')" \
     --argjson cli_s "$(awk -v a="$k0" -v b="$k1" -v x="$j0" -v y="$j1" \
                        'BEGIN {print b - a + (y - x) / 1e9}')" \
     '. + {client: $c, mode: $m, rep: $rep, stored: $stored, server_cpu_s: $srv_s, client_cpu_s: $cli_s, tx_cpu_s: $tx_s,
           tx_packets: ($pk | tonumber? // null), server_reads: ($nreads | tonumber? // null),
           server_writes: ($nwrites | tonumber? // null)} + $jw' \
     "$JW_TMP/row.json" >> "$ROWS"
}

read -r -a CLIENT_LIST <<< "$CLIENTS"
for rep in $(seq "$REPEATS"); do
  say "-- repeat $rep/$REPEATS"
  # the order alternates between repeats: a row never always runs first, and each repeat
  # starts the client order one further along (jetwire before jetwire-b in every repeat
  # would give one of them the server's faster spells)
  if [ $((rep % 2)) -eq 1 ]; then order="plain tls"; else order="tls plain"; fi
  for k in "${!CLIENT_LIST[@]}"; do
    client=${CLIENT_LIST[$(((k + rep - 1) % ${#CLIENT_LIST[@]}))]}
    for mode in $order; do
      row "$rep" "$client" "$mode"
    done
  done
done

python3 - "$ROWS" "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]
CLIENTS = [c for c in ("jetwire", "jetwire-b", "cnats") if any(r["client"] == c for r in rows)]
def ok(r):
    return r.get("acked_rate") and r.get("acked") == r.get("count")
def pick(client, mode):
    return [r for r in rows if r["client"] == client and r["mode"] == mode and ok(r)]
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def rng(xs):
    xs = [x for x in xs if x is not None]
    return f"{min(xs):.0f}..{max(xs):.0f}" if xs else "-"
def per_msg_us(r):
    return 1e6 * r["server_cpu_s"] / r["count"] if r.get("server_cpu_s") else None
def cli_us(r):
    return 1e6 * r["client_cpu_s"] / r["count"] if r.get("client_cpu_s") else None
def rd_k(r):
    return 1000 * r["server_reads"] / r["count"] if r.get("server_reads") else None
def wr_k(r):
    return 1000 * r["server_writes"] / r["count"] if r.get("server_writes") else None
def tx_ns_seg(r):
    return 1e9 * r["tx_cpu_s"] / r["segs_out"] if r.get("tx_cpu_s") and r.get("segs_out") else None
def cyc_seg(r):
    return r["tx_busy_cycles"] / r["segs_out"] if r.get("tx_busy_cycles") and r.get("segs_out") else None
def per_rec(r):
    return r["tls_bytes_sealed"] / r["tls_records_sealed"] if r.get("tls_records_sealed") else None
lines = [f"{'client':8} {'mode':5} {'acked msgs/s':>12} {'(min..max)':>15} {'call p99 ns':>11} "
         f"{'server us/msg':>13} {'client us/msg':>13} {'TX cycles/seg':>13} {'TX CPU ns/seg':>13} {'B/record':>8} "
         f"{'srv reads,writes/1k msgs':>24} runs"]
for c in CLIENTS:
    for m in ("plain", "tls"):
        rs = pick(c, m)
        if not rs:
            lines.append(f"{c:8} {m:5} {'-':>12}")
            continue
        a = med([r["acked_rate"] for r in rs])
        p99 = med([r["call_ns"]["p99"] for r in rs])
        su = med([per_msg_us(r) for r in rs])
        cu = med([cli_us(r) for r in rs])
        cs = med([cyc_seg(r) for r in rs])
        tn = med([tx_ns_seg(r) for r in rs])
        br = med([per_rec(r) for r in rs])
        rk = med([rd_k(r) for r in rs])
        wk = med([wr_k(r) for r in rs])
        f = lambda v, fmt: format(v, fmt) if v is not None else "-"
        rw = f"{f(rk, '.1f')},{f(wk, '.1f')}"
        lines.append(f"{c:8} {m:5} {a:12.0f} {rng([r['acked_rate'] for r in rs]):>15} "
                     f"{p99:11.0f} {f(su, '13.2f'):>13} {f(cu, '13.2f'):>13} {f(cs, '13.0f'):>13} {f(tn, '13.0f'):>13} {f(br, '8.0f'):>8} {rw:>24} {len(rs):4}")
# paired: the TLS and plain rows of the same repeat ran back to back
cost, dsrv, dcli = {}, {}, {}
for c in CLIENTS:
    cost[c], dsrv[c], dcli[c] = {}, {}, {}
    for r in sorted({x["rep"] for x in rows}):
        pl = [x for x in pick(c, "plain") if x["rep"] == r]
        tl = [x for x in pick(c, "tls") if x["rep"] == r]
        if pl and tl:
            cost[c][r] = 100 * (1 - tl[0]["acked_rate"] / pl[0]["acked_rate"])
            a, b = per_msg_us(tl[0]), per_msg_us(pl[0])
            if a is not None and b is not None:
                dsrv[c][r] = a - b
            a, b = cli_us(tl[0]), cli_us(pl[0])
            if a is not None and b is not None:
                dcli[c][r] = a - b
lines.append("TLS cost of the acked rate, per repeat (1 - TLS/plain of the same repeat, %):")
for c in CLIENTS:
    v = cost[c]
    if v:
        lines.append(f"  {c:8} " + " ".join(f"{v[r]:+.1f}" for r in sorted(v)) +
                     f"   median {statistics.median(v.values()):+.1f} "
                     f"(min {min(v.values()):+.1f}, max {max(v.values()):+.1f})")
lines.append("server CPU TLS adds per message, per repeat (us):")
for c in CLIENTS:
    v = dsrv[c]
    if v:
        lines.append(f"  {c:8} " + " ".join(f"{v[r]:+.2f}" for r in sorted(v)) +
                     f"   median {statistics.median(v.values()):+.2f}")
lines.append("client CPU TLS adds per message, per repeat (us; jetwire: its process and the producer):")
for c in CLIENTS:
    v = dcli[c]
    if v:
        lines.append(f"  {c:8} " + " ".join(f"{v[r]:+.2f}" for r in sorted(v)) +
                     f"   median {statistics.median(v.values()):+.2f}")
both = sorted(set(cost["jetwire"]) & set(cost["cnats"]))
wins = sum(1 for r in both if cost["jetwire"][r] < cost["cnats"][r])
mj = statistics.median(cost["jetwire"].values()) if cost["jetwire"] else None
mc = statistics.median(cost["cnats"].values()) if cost["cnats"] else None
if mj is not None and mc is not None:
    lines.append(f"target (TLS costs jetwire less acked rate than cnats): median {mj:.1f}% vs "
                 f"{mc:.1f}%: {'met' if mj < mc else 'NOT met'}; jetwire's cost was the lower "
                 f"in {wins} of {len(both)} repeats")
text = "\n".join(lines)
print(text)
open(f"{out}/tls-table.txt", "w").write(text + "\n")
with open(f"{out}/tls-headlines.tsv", "w") as h:
    for c, m in (("jetwire", mj), ("cnats", mc)):
        h.write(f"tls\tacked-rate cost of TLS, {c} (median of paired repeats)\t"
                f"{'?' if m is None else f'{m:.1f}'}\t%\t\t\n")
    if mj is not None and mc is not None:
        h.write(f"tls\tTLS costs jetwire less than cnats\t{mj:.1f}\t%\t< {mc:.1f}\t"
                f"{'met' if mj < mc else 'NOT met'} ({wins}/{len(both)} repeats)\n")
    for l in open(f"{out}/tls-seal.txt"):
        if l.startswith("tls: seal AES-128-GCM (1.3)"):
            h.write(f"tls\tTX seal of a 1438-byte record, AES-128-GCM (bench_tls)\t{l.split()[8]}\tcycles\t\t\n")
    pl, tl = pick("jetwire", "plain"), pick("jetwire", "tls")
    if pl and tl:
        h.write(f"tls\tjetwire call p99 plain / TLS\t{med([r['call_ns']['p99'] for r in pl]):.0f}/"
                f"{med([r['call_ns']['p99'] for r in tl]):.0f}\tns\t\t\n")
        a, b = med([cyc_seg(r) for r in pl]), med([cyc_seg(r) for r in tl])
        if a and b:
            h.write(f"tls\tjetwire TX lcore busy cycles per wire segment plain / TLS\t{a:.0f}/{b:.0f}\tcycles\t\t\n")
        a, b = med([tx_ns_seg(r) for r in pl]), med([tx_ns_seg(r) for r in tl])
        if a and b:
            h.write(f"tls\tjetwire TX lcore CPU per wire segment plain / TLS\t{a:.0f}/{b:.0f}\tns\t\t\n")
PY
