#!/usr/bin/env bash
# Go producer benchmark (make bench; issue 14): the reference burst, 5 subjects x 10,000
# messages of 128 bytes, on the same nats-server (reference network) and a fresh memory
# stream per run, side by side:
#   nats.go         js.PublishAsync, MaxPending 50,000 (build/bench/natsgo, Debian's nats.go)
#   nats.go msgid   the same with a Nats-Msg-Id per message (js.PublishMsgAsync + nats.MsgId)
#   jetwire Go      Producer.Publish (build/jwgopub; reports read every 64 calls)
#   jetwire Go async  AsyncPublisher.PublishAsync, a goroutine waiting on the futures
#   jetwire C       jw_publish (build/jwpub --json)
# jetwire runs with its default configuration (dedupe msgid: every message carries a
# Nats-Msg-Id, so compare it with the "nats.go msgid" row for the acked times), one fresh
# jetwire per repeat. Per client: call latency p50/p99/p99.9/max (timer included), submit time,
# all-acked time, publish->ack latency, allocations per call (Go: runtime.MemStats.Mallocs over
# the loop / calls; C: jw_publish has no allocation on its path, shown as 0), refused calls
# (jetwire: ErrAgain, ring full; nats.go: stall wait ran out), stored count.
# BENCH_GO_REPEATS (default 3) interleaved repeats; the table shows per client the run with
# the median call p99. CPU placement as tests/bench/engine/run.sh: nats-server on BENCH_SERVER_CPU
# (default 1), the clients and jetwire on BENCH_CLIENT_CPU (default 0); nats.go runs inside
# netns jw-srv against nats://198.18.0.1:4222. Extra jetwire overrides: BENCH_GO_JETWIRE_SET
# ("section.key=value ..."). Output in JW_BENCH_OUT (default build/bench-results/go-<time>):
# go-rows.jsonl, go-table.txt, go-headlines.tsv (for scripts/bench.sh). Root; takes
# /run/jw-testnet.lock unless the caller holds it; takes the network down at the end.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "go: needs root" >&2; exit 1; }
source "$ROOT/scripts/testnet-lock.bash"
jw_testnet_lock
for b in build/jetwire build/jwjs build/jwpub build/jwgopub build/bench/natsgo; do
  [ -x "$b" ] || { echo "go: $b missing: make all benches" >&2; exit 1; }
done
REPEATS=${BENCH_GO_REPEATS:-3}
source "$ROOT/scripts/bench-jetwire.bash" # bench_init, start_jetwire, stop_jetwire
bench_init go
N=50000; K=5; SIZE=128
STREAM=GOBENCH
JW_SETS=()
for kv in ${BENCH_GO_JETWIRE_SET:-}; do JW_SETS+=(--set "$kv"); done
jwjs() { ip netns exec jw-srv build/jwjs "$@"; }

cleanup() {
  stop_jetwire
  jwjs rm "$STREAM" >/dev/null 2>&1
  scripts/testnet.sh down >/dev/null 2>&1
  shm_rm "$RUNID"
  rm -rf /var/run/dpdk/"$RUNID"-* "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# run REP LABEL CMD...: one burst on a fresh stream; appends a normalized row to ROWS.
run() {
  local rep=$1 label=$2 stored rc
  shift 2
  jwjs add "$STREAM" "gobench.>" >/dev/null || { say "cannot create stream"; return 1; }
  "$@" > "$WORK/row.json" 2> "$WORK/row.err"; rc=$?
  stored=$(jwjs info "$STREAM" 2>/dev/null | sed -n 's/^stream [^:]*: \([0-9]*\) messages.*/\1/p')
  [ -s "$WORK/row.err" ] && sed "s/^/    | $label: /" "$WORK/row.err"
  [ -s "$WORK/row.json" ] || echo '{}' > "$WORK/row.json"
  # jwpub's JSON has its own names: map them onto the common ones.
  jq -c --arg lb "$label" --argjson rep "$rep" --argjson stored "${stored:-null}" --argjson rc "$rc" '
    if has("latency_ns") then
      {call_ns: .latency_ns, submit_ms: (.elapsed_s * 1000),
       all_acked_ms: (if .acked_rate > 0 then .acked / .acked_rate * 1000 else null end),
       e2e_us: null, allocs_per_call: 0, refused: .eagain, acked: .acked, failed: .failed,
       missing: .missing, published: .published}
    else . + {refused: (.refused // .eagain)} end
    | . + {label: $lb, rep: $rep, stored: $stored, status: $rc}' "$WORK/row.json" >> "$ROWS"
  [ "${stored:-0}" = "$N" ] || say "$label: stream holds ${stored:-?} messages, expected $N"
}

scripts/testnet.sh up 2>&1 | sed 's/^/go: /'
srv_pid=$(cat /run/jetwire-testnet/nats.pid)
bench_server_pinned || exit 1 # born on SRV_CPUS: GOMAXPROCS matches
say "nats-server pid $srv_pid on CPUs $SRV_CPUS; clients and jetwire on CPUs $CLI_CPUS; $REPEATS repeats"
for rep in $(seq "$REPEATS"); do
  run "$rep" "nats.go PublishAsync" ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/natsgo \
    --url nats://198.18.0.1:4222 -s gobench.natsgo --subjects $K -n $N -z $SIZE --max-pending 50000 --json
  run "$rep" "nats.go PublishAsync msgid" ip netns exec jw-srv taskset -c "$CLI_CPUS" build/bench/natsgo \
    --url nats://198.18.0.1:4222 -s gobench.natsgoid --subjects $K -n $N -z $SIZE --max-pending 50000 \
    --msgid --tag "$$-$rep" --json
  start_jetwire || continue
  run "$rep" "jetwire Go Publish" taskset -c "$CLI_CPUS" build/jwgopub -i "$RUNID" -s gobench.gopub \
    -subjects $K -n $N -z $SIZE -wait -timeout 60 -json
  run "$rep" "jetwire Go AsyncPublisher" taskset -c "$CLI_CPUS" build/jwgopub -i "$RUNID" -async \
    -s gobench.goasync -subjects $K -n $N -z $SIZE -wait -timeout 60 -json
  run "$rep" "jetwire C jw_publish" taskset -c "$CLI_CPUS" build/jwpub -i "$RUNID" -s gobench.c \
    --subjects $K -n $N -z $SIZE --wait --timeout 60 --json
  stop_jetwire
done

# Per label the run with the median call p99.
jq -s -c 'group_by(.label) | map(sort_by(.call_ns.p99 // 1e18) | .[(length - 1) / 2 | floor])
          | sort_by(.label)[]' "$ROWS" > "$WORK/med.jsonl"
get() { jq -r --arg l "$1" "select(.label == \$l) | $2 // \"?\"" "$WORK/med.jsonl"; }
{
  echo "Reference burst: $K subjects x $((N / K)) messages of $SIZE B, memory stream, median of $REPEATS runs by call p99"
  printf '%-27s %7s %7s %8s %9s %9s %10s %9s %9s %8s %7s %7s\n' client "p50 ns" "p99 ns" \
    "p99.9 ns" "max ns" "submit ms" "acked ms" "e2e p50us" "e2e p99us" allocs refused stored
  for l in "nats.go PublishAsync" "nats.go PublishAsync msgid" "jetwire Go Publish" \
           "jetwire Go AsyncPublisher" "jetwire C jw_publish"; do
    printf '%-27s %7s %7s %8s %9s %9.1f %10.1f %9s %9s %8.2f %7s %7s\n' "$l" \
      "$(get "$l" .call_ns.p50)" "$(get "$l" .call_ns.p99)" "$(get "$l" .call_ns.p999)" \
      "$(get "$l" .call_ns.max)" "$(get "$l" .submit_ms)" "$(get "$l" '.all_acked_ms // 0')" \
      "$(get "$l" '.e2e_us.p50 // "-"')" "$(get "$l" '.e2e_us.p99 // "-"')" \
      "$(get "$l" .allocs_per_call)" "$(get "$l" .refused)" "$(get "$l" .stored)"
  done
} | tee "$OUT/go-table.txt"

g99=$(get "jetwire Go Publish" .call_ns.p99); c99=$(get "jetwire C jw_publish" .call_ns.p99)
n99=$(get "nats.go PublishAsync" .call_ns.p99); ga=$(get "jetwire Go Publish" '.allocs_per_call * 100 | round / 100')
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "?" || l == "?") { print "?"; exit }
  ok = (op == "le" && v+0 <= l+0) || (op == "eq" && v+0 == l+0); print ok ? "met" : "NOT met" }'; }
lim1=$(awk -v c="$c99" 'BEGIN { print (c == "?") ? "?" : 2 * c }')
lim2=$(awk -v n="$n99" 'BEGIN { print (n == "?") ? "?" : n / 20 }')
{
  printf 'go\tGo Publish p99 vs 2x C jw_publish p99 (%s ns)\t%s\tns\t<= %s\t%s\n' "$c99" "$g99" "$lim1" "$(verdict "$g99" le "$lim1")"
  printf 'go\tGo Publish p99 vs nats.go PublishAsync p99 / 20 (%s ns)\t%s\tns\t<= %s\t%s\n' "$n99" "$g99" "$lim2" "$(verdict "$g99" le "$lim2")"
  printf 'go\tGo Publish allocations per call (whole loop, 2 decimals)\t%s\tallocs\t0\t%s\n' "$ga" "$(verdict "$ga" eq 0)"
  printf 'go\tGo AsyncPublisher p99\t%s\tns\t\t\n' "$(get "jetwire Go AsyncPublisher" .call_ns.p99)"
  printf 'go\tnats.go PublishAsync all acked\t%s\tms\t\t\n' "$(get "nats.go PublishAsync" .all_acked_ms)"
  printf 'go\tjetwire Go Publish all acked\t%s\tms\t\t\n' "$(get "jetwire Go Publish" .all_acked_ms)"
} > "$OUT/go-headlines.tsv"
awk -F'\t' '{ printf "target: %-60s %10s %-4s %-10s %s\n", $2, $3, $4, $5, $6 }' "$OUT/go-headlines.tsv" | tee -a "$OUT/go-table.txt"
