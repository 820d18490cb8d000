#!/usr/bin/env bash
# Engine benchmark (make bench; issue 7): jetwire against cnats js_PublishAsync, side by side
# in one run, through the same nats-server (reference network) and the same stream.
#
# Groups: storage (memory, file) x scenario x dedupe, 128-byte payloads over 5 subjects.
#   scenarios  burst      5 subjects x 10,000 messages, as fast as the client goes
#              sustained  BENCH_ENGINE_SUSTAINED messages (default 1,000,000), as fast as
#                         the client goes
#              paced      BENCH_ENGINE_PACED_COUNT messages (default 150,000) at
#                         BENCH_ENGINE_PACED_RATE msgs/s (default 50,000, below every
#                         client's ceiling here): ack latency at the same throughput
#   dedupe, like with like, three rows each:
#              off    cnats js_PublishAsync MaxPending 50,000 | MaxPending 4,000 | jetwire dedupe=off
#              msgid  cnats with a Nats-Msg-Id header per message (natsMsg_Create +
#                     natsMsgHeader_Set + js_PublishMsgAsync), MaxPending 50,000 | 4,000 |
#                     jetwire dedupe=msgid
#   plus, in the scenarios of BENCH_ENGINE_VETH_SCENARIOS (default "sustained paced"; ""
#   = none), a fourth row "cnats 50000 over veth": the same cnats client from netns
#   jw-bcli through a veth pair with jetwire's link properties (1500-byte frames, no
#   TSO/GSO/GRO/checksum offload), to show what the path (loopback with 64 KiB segments vs
#   1500-byte frames) costs the server; the ratios to cnats use the loopback rows.
# The whole matrix runs BENCH_ENGINE_REPEATS times (default 3), interleaved, and the table
# shows per row the run with the median acked rate (the machine is shared: single runs vary).
# Every run is one build/bench/bench_engine process (the same measuring code for both
# clients; definitions in tests/bench/engine/bench_engine.c) on a freshly (re)created stream
# JWBENCH (no run sees another's messages or Msg-Ids). jetwire is started fresh for each of
# its runs (own file prefix and shm instance) and stopped after it, which also yields its
# engine-side ack latency (frame sent -> PubAck) from its exit summary; for every client
# nats-server's CPU per acked message (the scheduler runtime of its threads over the run)
# and packets per message both ways at the server's side of the client's path (jwv1,
# lo in jw-srv, or the cnats-veth end). After each run
# JetStream's stream info must hold exactly the run's message count.
#
# CPU placement, the same for every run: nats-server (restarted, born on its CPUs: bench_server_pinned) on
# BENCH_SERVER_CPU (default 1); the client side on BENCH_CLIENT_CPU (default 0): the cnats
# publisher process, or jetwire (all lcores: eal.lcores=(0-2)@CPU) plus the bench_engine
# producer process. cnats runs inside netns jw-srv against nats://198.18.0.1:4222 (kernel
# loopback path); jetwire is 198.18.0.2 on jwv0 (DPDK net_af_packet, veth). Nothing leaves
# 198.18.0.0/16 (the "over veth" path uses 198.18.2.0/24).
#
# Output (in JW_BENCH_OUT, default build/bench-results/engine-<time>): engine-rows.jsonl (one
# object per run), engine-table.txt (the table and the targets), engine.json, engine.png
# (gnuplot), engine-headlines.tsv (for scripts/bench.sh's summary).
# Root. Takes /run/jw-testnet.lock itself unless the caller holds it (JW_TESTNET_LOCKED=1, or
# an ancestor's `flock /run/jw-testnet.lock ...`: scripts/testnet-lock.bash);
# brings the reference network up and takes it down at the end.
# Knobs: BENCH_ENGINE_SUSTAINED, BENCH_ENGINE_PACED_COUNT, BENCH_ENGINE_PACED_RATE,
# BENCH_ENGINE_REPEATS, BENCH_ENGINE_STORAGE ("memory file"), BENCH_ENGINE_SCENARIOS
# ("burst sustained paced"), BENCH_ENGINE_VETH_SCENARIOS, BENCH_SERVER_CPU, BENCH_CLIENT_CPU, BENCH_ENGINE_JETWIRE_SET
# (extra "section.key=value ..." overrides for jetwire, e.g. "flow.window=4096").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "engine: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock   # unless the caller holds it (JW_TESTNET_LOCKED=1, or an ancestor's flock)
for b in build/jetwire build/jwjs build/bench/bench_engine; do
  [ -x "$b" ] || { echo "engine: $b missing: make all benches" >&2; exit 1; }
done

SUSTAINED=${BENCH_ENGINE_SUSTAINED:-1000000}
PACED=${BENCH_ENGINE_PACED_COUNT:-150000}
PACED_RATE=${BENCH_ENGINE_PACED_RATE:-50000}
REPEATS=${BENCH_ENGINE_REPEATS:-3}
VETH_SCENARIOS=${BENCH_ENGINE_VETH_SCENARIOS-sustained paced}
STORAGES=${BENCH_ENGINE_STORAGE:-memory file}
SCENARIOS=${BENCH_ENGINE_SCENARIOS:-burst sustained paced}
source "$ROOT/scripts/bench-jetwire.bash" # bench_init, start_jetwire, stop_jetwire
bench_init engine eng
SUBJECTS=5
BURST=$((SUBJECTS * 10000))
SIZE=128
STREAM=JWBENCH
SUBJ=jwbench
ROWNO=0

source "$ROOT/scripts/bench-veth.bash" # veth_up / veth_down: the "over veth" path

cleanup() {
  veth_down
  bench_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JW_SETS=()
for kv in ${BENCH_ENGINE_JETWIRE_SET:-}; do JW_SETS+=(--set "$kv"); done

# row REP STORAGE SCENARIO DEDUPE CLIENT [MAXPENDING]
row() {
  local rep=$1 storage=$2 scen=$3 dedupe=$4 client=$5 mp=${6:-0} n label file_flag=() rc eng=""
  local pace=()
  ROWNO=$((ROWNO + 1))
  case $scen in
    burst) n=$BURST ;;
    sustained) n=$SUSTAINED ;;
    paced) n=$PACED; pace=(--rate "$PACED_RATE") ;;
  esac
  [ "$storage" = file ] && file_flag=(--file)
  local net=loopback ns=jw-srv iface=lo c0 c1 p0 p1 io0 io1
  case $client in
    cnats) label="cnats MaxPending $mp" ;;
    cnats-veth) label="cnats $mp over veth"; net=veth; ns=$VNS; iface=$VETH_SRV_IF ;;
    jetwire) label="jetwire"; net=veth; iface=jwv1 ;;
  esac
  ip netns exec jw-srv build/jwjs add "$STREAM" "$SUBJ.>" "${file_flag[@]}" >/dev/null || {
    say "cannot create stream $STREAM"; return 1; }
  local args=(-s "$SUBJ.$scen" -n "$n" --subjects "$SUBJECTS" -z "$SIZE" --timeout 120
              --tag "$$-$ROWNO" "${pace[@]}")
  if [ "$client" != jetwire ]; then
    [ "$dedupe" = msgid ] && args+=(--msgid)
    c0=$(cpu_ns "$srv_pid"); p0=$(srv_if_packets "$iface"); io0=$(srv_syscalls "$srv_pid")
    ip netns exec "$ns" taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
      --url nats://198.18.0.1:4222 --max-pending "$mp" "${args[@]}" \
      > "$WORK/row.json" 2> "$WORK/row.err"
    rc=$?
    c1=$(cpu_ns "$srv_pid"); p1=$(srv_if_packets "$iface"); io1=$(srv_syscalls "$srv_pid")
  else
    start_jetwire --set "flow.dedupe=$dedupe" || return 1
    c0=$(cpu_ns "$srv_pid"); p0=$(srv_if_packets "$iface"); io0=$(srv_syscalls "$srv_pid")
    taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" "${args[@]}" \
      > "$WORK/row.json" 2> "$WORK/row.err"
    rc=$?
    c1=$(cpu_ns "$srv_pid"); p1=$(srv_if_packets "$iface"); io1=$(srv_syscalls "$srv_pid")
    stop_jetwire
    eng=$(sed -n 's/.*engine: ack latency us: p50 \([0-9.]*\) p99 \([0-9.]*\) max \([0-9.]*\).*/{"p50":\1,"p99":\2,"max":\3}/p' "$WORK/jetwire.log" | tail -1)
    grep -E "engine: sent" "$WORK/jetwire.log" | sed 's/^[^:]*: /    | /'
  fi
  sed "s/^/    | $label: /" "$WORK/row.err"
  local stored
  stored=$(stream_count)
  if [ ! -s "$WORK/row.json" ]; then
    say "row $storage/$scen/$dedupe/$label produced no result (status $rc)"
    echo "{\"client\":\"$client\",\"max_pending\":$mp,\"status\":$rc}" > "$WORK/row.json"
  fi
  jq -c --arg st "$storage" --arg sc "$scen" --arg dd "$dedupe" --arg lb "$label" \
     --argjson stored "${stored:-null}" --argjson eng "${eng:-null}" \
     --arg srv "$SRV_CPUS" --arg cli "$CLI_CPUS" --argjson rep "$rep" --arg net "$net" \
     --argjson cpu "$((c1 - c0))" --argjson pk "$((p1 - p0))" --arg iface "$iface" \
     --argjson rd "$((${io1% *} - ${io0% *}))" --argjson wr "$((${io1#* } - ${io0#* }))" \
     "$JQ_SERVER_COST"'. + {storage: $st, scenario: $sc, dedupe: $dd, label: $lb, stored: $stored,
           engine_ack_us: $eng, server_cpus: $srv, client_cpus: $cli, rep: $rep, net: $net,
           iface: $iface, server_cpu_us_per_msg: per_msg($cpu / 1e3), packets_per_msg: per_msg($pk),
           server_reads_per_msg: per_msg($rd), server_writes_per_msg: per_msg($wr)}' \
     "$WORK/row.json" >> "$ROWS"
  [ "${stored:-0}" = "$n" ] || say "row $storage/$scen/$dedupe/$label: stream holds ${stored:-?} messages, expected $n"
}

scripts/testnet.sh up 2>&1 | sed 's/^/engine: /'
srv_pid=$(cat /run/jetwire-testnet/nats.pid)
VETH_OK=0
if [ -n "$VETH_SCENARIOS" ]; then
  if veth_up; then VETH_OK=1; else say "second veth path could not be set up: no 'over veth' rows"; veth_down; fi
fi
bench_server_pinned || exit 1 # born on SRV_CPUS: GOMAXPROCS matches
say "nats-server $(nats-server --version 2>/dev/null | head -1) pid $srv_pid on CPUs $(taskset -p -c "$srv_pid" | sed 's/.*: //'); client side on CPUs $CLI_CPUS"
say "burst $BURST messages ($SUBJECTS subjects x 10,000), sustained $SUSTAINED, paced $PACED at $PACED_RATE msgs/s; $SUBJECTS subjects, $SIZE-byte payloads; stream $STREAM recreated per run; $REPEATS repeats"

t_start=$(date +%s)
for rep in $(seq "$REPEATS"); do
  for storage in $STORAGES; do
    for scen in $SCENARIOS; do
      for dedupe in off msgid; do
        say "-- repeat $rep/$REPEATS: $storage storage, $scen, dedupe $dedupe"
        for mp in 50000 4000; do
          row "$rep" "$storage" "$scen" "$dedupe" cnats "$mp"
        done
        row "$rep" "$storage" "$scen" "$dedupe" jetwire
        if [ "$VETH_OK" = 1 ] && [[ " $VETH_SCENARIOS " == *" $scen "* ]]; then
          row "$rep" "$storage" "$scen" "$dedupe" cnats-veth 50000
        fi
      done
    done
  done
done
say "all rows in $(( $(date +%s) - t_start )) s"

python3 tests/bench/engine/report.py "$ROWS" "$OUT"
