#!/usr/bin/env bash
# The reference burst, the headline of `make bench` (issue 10): 5 subjects x 10,000 messages
# of 128 bytes, as fast as each client goes, through the same nats-server and memory stream:
#   jetwire (defaults: adaptive window, default ring; C producer through bench_engine),
#   cnats js_PublishAsync (MaxPending 50,000; bench_engine --client cnats),
#   nats.go js.PublishAsync (MaxPending 50,000; build/bench/natsgo),
#   cnats again over a veth with jetwire's link properties ("cnats-veth": netns jw-bcli,
#   1500-byte frames, no offloads; scripts/bench-veth.bash): the equivalent path for the
#   server-cost comparison (loopback carries up to 64 KiB per packet),
# each with dedupe off / plain publishes and with Nats-Msg-Id (jetwire msgid), like with like.
# Per run: submit time (first call to the last accepted call), all-acked time, end-to-end
# latency publish call -> delivery report p50/p99/max, and what the server paid: nats-server
# CPU (the scheduler runtime of all its threads, cpu_ns) per acked message, and packets per
# message both ways at the server's interface (jwv1 for jetwire; lo inside jw-srv for the
# stock clients, whose loopback path counts each packet once; jwb1 for cnats-veth).
# BENCH_BURST_REPEATS (default 11) interleaved repeats; the table shows medians and the
# ratios to the best stock client. BENCH_BURST_JETWIRE_SET="k=v ..." adds jetwire
# overrides (e.g. "flow.window=16384"); BENCH_BURST_CLIENTS (default "jetwire cnats natsgo cnats-veth")
# and BENCH_BURST_DEDUPE (default "off msgid") select rows; BENCH_SERVER_NIC=offload turns on
# rx checksum offload and GRO on the server's veths (as a real NIC's driver does). Pinning as tests/bench/engine: nats-server on BENCH_SERVER_CPU
# (1), the client side on BENCH_CLIENT_CPU (0).
# Output: $JW_BENCH_OUT (or build/bench-results/burst-<time>): burst-rows.jsonl,
# burst-table.txt, burst.png, burst-headlines.tsv, timeline-CLIENT-DEDUPE-REP.txt (calls
# returned and outcomes seen per millisecond of each C client's run).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "burst: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
for b in build/jetwire build/jwjs build/bench/bench_engine build/bench/natsgo; do
  [ -x "$b" ] || { echo "burst: $b missing: make all benches" >&2; exit 1; }
done
REPEATS=${BENCH_BURST_REPEATS:-11}
# jetwire's row times every K-th call: a fenced rdtsc pair costs ~35 ns, most of a 40-60 ns
# jw_publish, and took a third of its submit time; the other calls get one unfenced
# timestamp for their end-to-end latency, and "in calls" is the sample's mean x the calls.
# cnats's calls (1-5 us) are all timed: the pair is 1-3 % of them.
CALL_SAMPLE=${BENCH_BURST_CALL_SAMPLE:-8}
source "$ROOT/scripts/bench-jetwire.bash" # bench_init, start_jetwire, stop_jetwire
bench_init burst
N=50000
STREAM=JWBURST
SUBJ=jwburst
source "$ROOT/scripts/bench-veth.bash"

cleanup() {
  veth_down
  bench_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JW_SETS=()
for kv in ${BENCH_BURST_JETWIRE_SET:-}; do JW_SETS+=(--set "$kv"); done
# context switches of all nats-server threads: how often it woke up (and was preempted)
srv_csw() { cat /proc/"$srv_pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }

# row REP CLIENT DEDUPE
row() {
  local rep=$1 client=$2 dedupe=$3 iface=lo t0 t1 p0 p1 q0 q1 w0 w1 rc=0 msgid=()
  [ "$dedupe" = msgid ] && msgid=(--msgid)
  ip netns exec jw-srv build/jwjs add "$STREAM" "$SUBJ.>" >/dev/null || { say "no stream"; return 1; }
  case $client in
    jetwire)
      iface=jwv1
      start_jetwire --set "flow.dedupe=$dedupe" || return 1
      t0=$(cpu_ns "$srv_pid"); p0=$(srv_if_packets $iface); q0=$(srv_if_rx $iface); w0=$(srv_csw)
      taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" \
        -s "$SUBJ.x" -n $N --subjects 5 -z 128 --timeout 60 --tag "$$-$rep" \
        --call-sample "$CALL_SAMPLE" --timeline "$OUT/timeline-$client-$dedupe-$rep.txt" > "$WORK/row.json" 2> "$WORK/row.err" || rc=$?
      t1=$(cpu_ns "$srv_pid"); p1=$(srv_if_packets $iface); q1=$(srv_if_rx $iface); w1=$(srv_csw)
      stop_jetwire
      grep -E "engine: sent" "$WORK/jetwire.log" | sed 's/^[^:]*: /    | /' ;;
    cnats|cnats-veth) # the same client on loopback in jw-srv, or over the veth from jw-bcli
      local ns=jw-srv tag="$$-$rep"
      [ "$client" = cnats-veth ] && { ns=$VNS; iface=$VETH_SRV_IF; tag="$$-$rep-v"; }
      t0=$(cpu_ns "$srv_pid"); p0=$(srv_if_packets $iface); q0=$(srv_if_rx $iface); w0=$(srv_csw)
      ip netns exec "$ns" taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
        --url nats://198.18.0.1:4222 --max-pending 50000 -s "$SUBJ.x" -n $N --subjects 5 \
        -z 128 --timeout 60 --tag "$tag" "${msgid[@]}" \
        --timeline "$OUT/timeline-$client-$dedupe-$rep.txt" > "$WORK/row.json" 2> "$WORK/row.err" || rc=$?
      t1=$(cpu_ns "$srv_pid"); p1=$(srv_if_packets $iface); q1=$(srv_if_rx $iface); w1=$(srv_csw) ;;
    natsgo)
      t0=$(cpu_ns "$srv_pid"); p0=$(srv_if_packets $iface); q0=$(srv_if_rx $iface); w0=$(srv_csw)
      ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/natsgo --url nats://198.18.0.1:4222 \
        -s "$SUBJ.x" --subjects 5 -n $N -z 128 --max-pending 50000 --tag "$$-$rep" "${msgid[@]}" \
        --json > "$WORK/row.json" 2> "$WORK/row.err" || rc=$?
      t1=$(cpu_ns "$srv_pid"); p1=$(srv_if_packets $iface); q1=$(srv_if_rx $iface); w1=$(srv_csw) ;;
  esac
  sed "s/^/    | $client $dedupe: /" "$WORK/row.err" | tail -3
  local stored
  stored=$(stream_count)
  ip netns exec jw-srv build/jwjs rm "$STREAM" >/dev/null 2>&1
  [ -s "$WORK/row.json" ] || echo "{\"status\":$rc}" > "$WORK/row.json"
  jq -c --arg cl "$client" --arg dd "$dedupe" --argjson rep "$rep" --argjson stored "${stored:-null}" \
     --argjson cpu "$((t1 - t0))" --argjson pk "$((p1 - p0))" --argjson pkin "$((q1 - q0))" --argjson csw "$((w1 - w0))" \
     --arg iface "$iface" \
     "$JQ_SERVER_COST"'{client: $cl, dedupe: $dd, rep: $rep, stored: $stored, iface: $iface,
       submit_ms: (.submit_s * 1000), calls_ms: ((.calls_s // 0) * 1000), all_acked_ms: (.all_acked_s * 1000),
       e2e_us: .ack_us, acked_at_us: .acked_at_us, call_ns: .call_ns, acked: .acked, refused: (.refused // 0),
       acked_rate: .acked_rate, server_cpu_us_per_msg: per_msg($cpu / 1e3),
       server_busy: busy_share($cpu), packets_per_msg: per_msg($pk), packets_in_per_msg: per_msg($pkin),
       server_csw_per_1k_msgs: per_msg($csw * 1000)}' \
     "$WORK/row.json" >> "$ROWS"
  [ "${stored:-0}" = "$N" ] || say "row $client/$dedupe: stream holds ${stored:-?} messages, expected $N"
}

scripts/testnet.sh up 2>&1 | sed 's/^/burst: /'
srv_pid=$(cat /run/jetwire-testnet/nats.pid)
CLIENTS=${BENCH_BURST_CLIENTS:-jetwire cnats natsgo cnats-veth}
# BENCH_SERVER_NIC=offload: the server's veths (jwv1, jwb1) validate checksums and merge
# segments (rx checksum offload, GRO) as a real NIC's driver does; default: both off, as the
# tests run them (the kernel then checks every checksum jetwire computes).
set_server_nic() { # iface on|off
  ip netns exec jw-srv ethtool -K "$1" rx "$2" gro "$2" >/dev/null 2>&1 || say "ethtool -K $1 rx/gro $2 failed"
}
if [[ " $CLIENTS " == *" cnats-veth "* ]] && ! veth_up; then
  say "the second veth path could not be set up: no cnats-veth rows"
  veth_down
  CLIENTS=${CLIENTS//cnats-veth/}
fi
if [ "${BENCH_SERVER_NIC:-}" = offload ]; then
  set_server_nic jwv1 on
  [[ " $CLIENTS " == *" cnats-veth "* ]] && set_server_nic "$VETH_SRV_IF" on
  say "server side veths: rx checksum offload and GRO on (BENCH_SERVER_NIC=offload)"
fi
bench_server_pinned || exit 1 # born on SRV_CPUS: GOMAXPROCS matches
say "reference burst: 5 subjects x 10,000 x 128 B; nats-server on CPUs $SRV_CPUS, clients on $CLI_CPUS; $REPEATS interleaved repeats"
# The server's speed drifts over seconds on this shared host (its CPU per message moves by
# up to 2x between identical runs): each repeat starts the client order one further along,
# so that no client always runs first or last, and the report pairs the clients of a repeat.
read -r -a CLIENT_LIST <<< "$CLIENTS"
for rep in $(seq "$REPEATS"); do
  for dedupe in ${BENCH_BURST_DEDUPE:-off msgid}; do
    n=${#CLIENT_LIST[@]}
    for k in $(seq 0 $((n - 1))); do
      client=${CLIENT_LIST[$(((k + rep - 1) % n))]}
      say "-- repeat $rep/$REPEATS: $client, dedupe $dedupe"
      row "$rep" "$client" "$dedupe"
    done
  done
done
python3 tests/bench/burst/report.py "$ROWS" "$OUT"
