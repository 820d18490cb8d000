#!/usr/bin/env bash
# A late server against jetwire and cnats (issue 11), through the same nats-server:
#   pause     BENCH_PAUSE_COUNT (200,000) publishes paced at BENCH_PAUSE_RATE (40,000/s);
#             1.5 s in, nats-server is SIGSTOPped for 5 s, then SIGCONT: the time from
#             SIGCONT until every message is acked, and the resends each client sent;
#   overload  the same count as fast as the client goes while a CPU hog (a busy loop)
#             shares the server's pinned CPU: acked msgs/s and resends.
# jetwire runs with dedupe=msgid, cnats with a Nats-Msg-Id per message (like with like);
# cnats never resends by itself (its resends are 0 by construction; we count what failed).
# BENCH_PAUSE_REPEATS (default 2) interleaved repeats. Pinning as tests/bench/engine.
# Output: $JW_BENCH_OUT (or build/bench-results/pause-<time>): pause-rows.jsonl, pause-table.txt.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "pause: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
COUNT=${BENCH_PAUSE_COUNT:-200000}
RATE=${BENCH_PAUSE_RATE:-40000}
REPEATS=${BENCH_PAUSE_REPEATS:-2}
source "$ROOT/scripts/bench-jetwire.bash" # bench_init, start_jetwire, stop_jetwire
bench_init pause
STREAM=JWPAUSEB
SUBJ=jwpauseb
HOG_PID=
JW_SETS=()
srv_pid() { cat /run/jetwire-testnet/nats.pid; }
stop_hog() { [ -n "$HOG_PID" ] && kill "$HOG_PID" 2>/dev/null; wait "$HOG_PID" 2>/dev/null; HOG_PID=; }
cleanup() {
  kill -CONT "$(srv_pid)" 2>/dev/null
  stop_hog
  bench_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# row REP SCENARIO CLIENT
row() {
  local rep=$1 scen=$2 client=$3 pace=() resent=0 t_cont=0 pub
  [ "$scen" = pause ] && pace=(--rate "$RATE")
  ip netns exec jw-srv build/jwjs add "$STREAM" "$SUBJ.>" >/dev/null || return 1
  [ "$scen" = overload ] && { taskset -c "$SRV_CPUS" sh -c 'while :; do :; done' & HOG_PID=$!; }
  local args=(-s "$SUBJ.x" -n "$COUNT" --subjects 5 -z 128 --timeout 120 --tag "$$-$rep-$scen" "${pace[@]}")
  if [ "$client" = jetwire ]; then
    start_jetwire || { stop_hog; return 1; }
    taskset -c "$CLI_CPUS" build/bench/bench_engine --client jetwire -i "$RUNID" "${args[@]}" \
      > "$WORK/row.json" 2> "$WORK/row.err" &
  else
    ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/bench_engine --client cnats \
      --url nats://198.18.0.1:4222 --max-pending 50000 --msgid "${args[@]}" \
      > "$WORK/row.json" 2> "$WORK/row.err" &
  fi
  pub=$!
  local t0; t0=$(date +%s.%N)
  if [ "$scen" = pause ]; then
    sleep 1.5; kill -STOP "$(srv_pid)"; sleep 5; kill -CONT "$(srv_pid)"
    t_cont=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')
  fi
  wait "$pub"
  stop_hog
  if [ "$client" = jetwire ]; then
    stop_jetwire
    resent=$(jetwire_resent)
    grep -E "engine: (sent|resends on)" "$WORK/jetwire.log" | sed 's/^[^:]*: /    | /'
  fi
  sed "s/^/    | $client $scen: /" "$WORK/row.err" | tail -2
  local stored
  stored=$(stream_count)
  ip netns exec jw-srv build/jwjs rm "$STREAM" >/dev/null 2>&1
  [ -s "$WORK/row.json" ] || echo '{"status":1}' > "$WORK/row.json"
  jq -c --arg cl "$client" --arg sc "$scen" --argjson rep "$rep" --argjson resent "${resent:-0}" \
     --argjson tc "$t_cont" --argjson stored "${stored:-null}" \
     '{client: $cl, scenario: $sc, rep: $rep, resent: $resent, stored: $stored,
       acked: .acked, failed: .failed, acked_rate: .acked_rate, all_acked_s: .all_acked_s,
       after_sigcont_s: (if $tc > 0 then (.all_acked_s - $tc + 0.0) else null end),
       e2e_us: .ack_us}' "$WORK/row.json" >> "$ROWS"
}

scripts/testnet.sh up 2>&1 | sed 's/^/pause: /'
bench_server_pinned || exit 1 # born on SRV_CPUS: GOMAXPROCS matches
for rep in $(seq "$REPEATS"); do
  for scen in pause overload; do
    for client in jetwire cnats; do
      say "-- repeat $rep/$REPEATS: $scen, $client"
      row "$rep" "$scen" "$client"
    done
  done
done
python3 - "$ROWS" "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = []
def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None
f = lambda v, d=1: "?" if v is None else f"{v:.{d}f}"
out.append(f"{'scenario':9} {'client':8} {'runs':>4} {'acked/s':>9} {'resent':>7} {'failed':>6} "
           f"{'stored':>8} {'all acked s':>11} {'after SIGCONT s':>15} {'e2e p99 ms':>10}")
for sc in ("pause", "overload"):
    for cl in ("jetwire", "cnats"):
        rs = [r for r in rows if r["scenario"] == sc and r["client"] == cl]
        out.append(f"{sc:9} {cl:8} {len(rs):4d} {f(med([r.get('acked_rate') for r in rs]), 0):>9} "
                   f"{f(med([r.get('resent') for r in rs]), 0):>7} {f(med([r.get('failed') for r in rs]), 0):>6} "
                   f"{f(med([r.get('stored') for r in rs]), 0):>8} {f(med([r.get('all_acked_s') for r in rs]), 2):>11} "
                   f"{f(med([r.get('after_sigcont_s') for r in rs]), 2):>15} "
                   f"{f(med([(r.get('e2e_us') or {}).get('p99', 0) / 1000 for r in rs]), 1):>10}")
open(sys.argv[2] + "/pause-table.txt", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
