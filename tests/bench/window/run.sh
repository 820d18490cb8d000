#!/usr/bin/env bash
# Sustained publishing, adaptive window against fixed ones (make bench, part `window`; issue
# 10's "adaptive >= 0.98x the best fixed window in the same run"): BENCH_WINDOW_N messages
# (default 300,000) of 128 bytes over 5 subjects, as fast as the producer goes, into a memory
# stream; jetwire with [flow] window = each of BENCH_WINDOW_SET (default "adaptive 1024 4096
# 16384"; "adaptive@N": the adaptive window with [flow] window_start = N), dedupe off and
# msgid, and cnats js_PublishAsync (MaxPending 50,000) like for like as a reference;
# BENCH_WINDOW_REPEATS (default 5) interleaved repeats, medians;
# BENCH_WINDOW_JETWIRE_SET="k=v ..." adds jetwire overrides (e.g. "cores.sched_batch=yes").
# Per row: acked msgs/s, nats-server CPU per acked message, jetwire's final and largest
# window (its exit summary). Pinning as tests/bench/burst: nats-server on BENCH_SERVER_CPU
# (1), client side (jetwire's lcores and the producer, or cnats) on BENCH_CLIENT_CPU (0).
# Output: $JW_BENCH_OUT (or build/bench-results/window-<time>): window-rows.jsonl,
# window-table.txt, window-headlines.tsv, window.png.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "window: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
for b in build/jetwire build/jwjs build/bench/bench_engine; do
  [ -x "$b" ] || { echo "window: $b missing: make all benches" >&2; exit 1; }
done
N=${BENCH_WINDOW_N:-300000}
REPEATS=${BENCH_WINDOW_REPEATS:-5}
WINDOWS=${BENCH_WINDOW_SET:-adaptive 1024 4096 16384}
source "$ROOT/scripts/bench-jetwire.bash" # bench_init, start_jetwire, stop_jetwire
bench_init window
STREAM=JWWINDOW
SUBJ=jwwindow
JW_SETS=()
for kv in ${BENCH_WINDOW_JETWIRE_SET:-}; do JW_SETS+=(--set "$kv"); done

cleanup() {
  bench_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# row REP CLIENT DEDUPE WINDOW
row() {
  local rep=$1 client=$2 dedupe=$3 win=$4 t0 t1 rc=0 msgid=() wnow=null wmax=null
  [ "$dedupe" = msgid ] && msgid=(--msgid)
  ip netns exec jw-srv build/jwjs add "$STREAM" "$SUBJ.>" >/dev/null || { say "no stream"; return 1; }
  if [ "$client" = jetwire ]; then
    local wset=(--set "flow.window=$win")
    # adaptive@N: the adaptive window with [flow] window_start = N (a row of its own)
    [[ "$win" == adaptive@* ]] && wset=(--set flow.window=adaptive --set "flow.window_start=${win#adaptive@}")
    start_jetwire --set "flow.dedupe=$dedupe" "${wset[@]}" || return 1
    t0=$(cpu_ns "$srv_pid")
    taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" \
      -s "$SUBJ.x" -n "$N" --subjects 5 -z 128 --timeout 120 --tag "$$-$rep-$win" \
      > "$WORK/row.json" 2> "$WORK/row.err" || rc=$?
    t1=$(cpu_ns "$srv_pid")
    stop_jetwire
    local sum
    sum=$(grep -E "engine: sent" "$WORK/jetwire.log" | tail -1)
    echo "$sum" | sed 's/^[^:]*: /    | /'
    grep -E "engine: shared replies" "$WORK/jetwire.log" | tail -1 | sed 's/^[^:]*: /    | /'
    wnow=$(echo "$sum" | sed -n 's/.*window now \([0-9]*\).*/\1/p'); wnow=${wnow:-null}
    wmax=$(echo "$sum" | sed -n 's/.*most in flight \([0-9]*\).*/\1/p'); wmax=${wmax:-null}
  else
    t0=$(cpu_ns "$srv_pid")
    ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
      --url nats://198.18.0.1:4222 --max-pending 50000 -s "$SUBJ.x" -n "$N" --subjects 5 \
      -z 128 --timeout 120 --tag "$$-$rep-c" "${msgid[@]}" > "$WORK/row.json" 2> "$WORK/row.err" || rc=$?
    t1=$(cpu_ns "$srv_pid")
  fi
  sed "s/^/    | $client $dedupe $win: /" "$WORK/row.err" | tail -2
  local stored
  stored=$(stream_count)
  ip netns exec jw-srv build/jwjs rm "$STREAM" >/dev/null 2>&1
  [ -s "$WORK/row.json" ] || echo "{\"status\":$rc}" > "$WORK/row.json"
  jq -c --arg cl "$client" --arg dd "$dedupe" --arg win "$win" --argjson rep "$rep" \
     --argjson stored "${stored:-null}" --argjson cpu "$((t1 - t0))" \
     --argjson wnow "$wnow" --argjson wmax "$wmax" \
     "$JQ_SERVER_COST"'{client: $cl, dedupe: $dd, window: $win, rep: $rep, stored: $stored,
       acked: .acked, acked_rate: .acked_rate, window_now: $wnow, most_in_flight: $wmax,
       e2e_us: .ack_us, server_cpu_us_per_msg: per_msg($cpu / 1e3), server_busy: busy_share($cpu)}' \
     "$WORK/row.json" >> "$ROWS"
  [ "${stored:-0}" = "$N" ] || say "row $client/$dedupe/$win: stream holds ${stored:-?} messages, expected $N"
}

scripts/testnet.sh up 2>&1 | sed 's/^/window: /'
srv_pid=$(cat /run/jetwire-testnet/nats.pid)
bench_server_pinned || exit 1 # born on SRV_CPUS: GOMAXPROCS matches
say "sustained $N x 128 B over 5 subjects; windows: $WINDOWS; nats-server on CPUs $SRV_CPUS, clients on $CLI_CPUS; $REPEATS interleaved repeats"
# Each repeat starts the order one further along (the server's speed drifts; the report
# pairs the rows of a repeat, see tests/bench/burst/run.sh).
read -r -a WIN_LIST <<< "$WINDOWS cnats"
for rep in $(seq "$REPEATS"); do
  for dedupe in ${BENCH_WINDOW_DEDUPE:-off msgid}; do
    n=${#WIN_LIST[@]}
    for k in $(seq 0 $((n - 1))); do
      win=${WIN_LIST[$(((k + rep - 1) % n))]}
      say "-- repeat $rep/$REPEATS: dedupe $dedupe, ${win/cnats/cnats js_PublishAsync}"
      if [ "$win" = cnats ]; then row "$rep" cnats "$dedupe" 50000; else row "$rep" jetwire "$dedupe" "$win"; fi
    done
  done
done
python3 tests/bench/window/report.py "$ROWS" "$OUT"
