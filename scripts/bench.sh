#!/usr/bin/env bash
# `make bench`: every jetwire benchmark in one go, a header per benchmark, then a summary
# table of the headline numbers with the issue targets (met / NOT met).
#
#   burst     tests/bench/burst/run.sh           the headline: the reference burst (5 x 10,000 x 128 B),
#                                          jetwire vs cnats vs nats.go: submit, all acked,
#                                          publish->report latency, server CPU and packets
#   window    tests/bench/window/run.sh          sustained 300,000: jetwire adaptive vs fixed windows
#                                               (1024, 4096, 16384) vs cnats, off and msgid
#   pause     tests/bench/pause/run.sh           a server SIGSTOPped 5 s / sharing its CPU with a hog:
#                                          resends, time to all acked, acked/s (jetwire, cnats)
#   codec     build/bench/bench_codec      encoding ns/frame vs memcpy, PubAck parsing
#   producer  build/bench/bench_producer   jw_publish vs rd_kafka_producev vs js_PublishAsync
#                                          (its own nats-server on 127.0.0.1)
#   stats     build/bench/bench_stats      what counting costs the data path
#   tcp       tests/bench/tcp/run.sh             bench_tcp cycles/segment; jwtcpsend vs a kernel
#                                          sender to the same sink (reference network)
#   engine    tests/bench/engine/run.sh          jetwire vs cnats js_PublishAsync through the same
#                                          nats-server and stream (reference network)
#   tls       tests/bench/tls/run.sh             jetwire and cnats, plain and TLS (a TLS nats-server
#                                          beside the reference one): TLS's cost to each
#   go        tests/bench/go/run.sh              Go producers: nats.go js.PublishAsync vs jetwire's
#                                          Go Publish / AsyncPublisher vs C jw_publish, the
#                                          reference burst (reference network)
#   failover  tests/bench/failover/run.sh        acked per 100 ms through a SIGKILL of the
#                                          connected node: jetwire vs nats.go (cluster)
#
# Results: build/bench-results/<UTC time>/ (one .txt per benchmark, summary.txt,
# summary.json, engine table and PNG) and build/bench-results/latest -> that directory.
# The reference network is a shared resource: the tcp and engine parts run under
# `flock /run/jw-testnet.lock` (waiting at most BENCH_LOCK_WAIT s; JW_TESTNET_LOCKED=1 when
# the caller already holds it) and take the network down afterwards; nothing else does.
# Each benchmark has a time limit (BENCH_TIMEOUT_<NAME> seconds); on a time-out its process
# group is killed and the common cleanup below removes what it may have left (the
# network namespaces, /dev/shm/jetwire.jw-bench-<pid>*, DPDK runtime dirs of this run).
# Knobs: BENCH_ONLY="codec engine" (a subset), BENCH_ENGINE_* and BENCH_*_CPU (sizes, repeats
# and CPU placement of the engine benchmark: tests/bench/engine/run.sh), BENCH_TCP_BYTES (tests/bench/tcp/run.sh).
# Numbers only: a benchmark never fails the run for a missed target; the exit status is
# non-zero only when a benchmark could not run to its end.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/build/bench-results/$STAMP
mkdir -p "$OUT"
ln -sfn "$STAMP" "$ROOT/build/bench-results/latest"
HEAD=$OUT/headlines.tsv          # bench \t metric \t value \t unit \t target \t verdict
: > "$HEAD"
STATUS=$OUT/status.tsv           # bench \t rc \t seconds
: > "$STATUS"
export JW_BENCH_RUN_ID="jw-bench-$$"   # file prefixes and shm instances of this run
export JW_BENCH_OUT=$OUT

ONLY=${BENCH_ONLY:-burst window codec producer stats tcp engine pause tls go failover}
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

# Hugepages as on a host prepared with scripts/host-setup.sh, the deployment jetwire is
# made for: the rings ([shm] hugepages = auto) and the EAL on 2 MiB pages, so a producer's
# calls take no 4 KiB TLB misses (measured in session 13 on a 2-CPU Intel VM: the reference
# burst's call p99 157-195 ns on hugetlbfs, 189-339 ns on tmpfs). BENCH_HUGEPAGES=reserve
# (default) reserves HUGE_PAGES more 2 MiB pages and mounts a hugetlbfs for this run when
# none is mounted, and gives both back at exit; as-is runs on whatever the host has.
HUGE_PAGES=600                   # a jetwire's rings (145) and EAL memory, with room to spare
HUGE_MNT=
HUGE_OLD=
setup_hugepages() {
  local mode=${BENCH_HUGEPAGES:-reserve} got
  case $mode in
    as-is) return 0 ;;
    reserve) ;;
    *) echo "bench: BENCH_HUGEPAGES=$mode: use reserve or as-is" >&2; exit 2 ;;
  esac
  if awk '$3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts; then
    echo "bench: a hugetlbfs is mounted already: using the host's hugepages as they are"
    return 0
  fi
  HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
  echo $((HUGE_OLD + HUGE_PAGES)) > /proc/sys/vm/nr_hugepages
  got=$(($(cat /proc/sys/vm/nr_hugepages) - HUGE_OLD))
  HUGE_MNT=/dev/hugepages-jwbench-$$
  mkdir -p "$HUGE_MNT" && mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_MNT" || {
    echo "bench: cannot mount a hugetlbfs at $HUGE_MNT" >&2; HUGE_MNT=; return 0; }
  echo "bench: hugepages: $got of $HUGE_PAGES more 2 MiB pages reserved, hugetlbfs at $HUGE_MNT (given back at exit; BENCH_HUGEPAGES=as-is: the host's as they are)"
}
teardown_hugepages() {
  if [ -n "$HUGE_MNT" ]; then
    umount "$HUGE_MNT" 2>/dev/null && rmdir "$HUGE_MNT"
    HUGE_MNT=
  fi
  [ -n "$HUGE_OLD" ] && echo "$HUGE_OLD" > /proc/sys/vm/nr_hugepages
  HUGE_OLD=
}

# After each part: files named by the run id. Processes: each benchmark script stops what it
# started (by pid) in its own trap, and `timeout` kills a benchmark's whole process group.
# The shm objects go from /dev/shm and from every hugetlbfs (behind their redirects), so the
# next part finds the pool as the run began; the pool itself stays until exit (given back
# after each part, it left every part but the first on tmpfs).
source "$ROOT/scripts/bench-jetwire.bash" # shm_rm
part_cleanup() {
  shm_rm "$JW_BENCH_RUN_ID*"
  rm -rf /var/run/dpdk/"$JW_BENCH_RUN_ID"* 2>/dev/null
}
cleanup() {
  part_cleanup
  teardown_hugepages
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# DPDK leaves its runtime directory (/var/run/dpdk/<file prefix>) behind. Removes those
# that appeared during a benchmark, carry a prefix our benchmarks use (bench_tcp:
# jw-bench-tcp-<pid>, jwtcpsend: jw-tcpsend-<pid>, this run: $JW_BENCH_RUN_ID*) and whose
# process is gone. $1: the listing taken before the benchmark.
remove_new_eal_dirs() {
  local d pid
  for d in $(comm -13 <(echo "$1" | sort) <(ls /var/run/dpdk 2>/dev/null | sort)); do
    case $d in
      jw-bench-tcp-*|jw-tcpsend-*) # the pid follows the prefix: jw-bench-tcp-<pid>[-loss-<n>]
        pid=${d#jw-bench-tcp-}; pid=${pid#jw-tcpsend-}; pid=${pid%%-*} ;;
      "$JW_BENCH_RUN_ID"*) pid= ;;
      *) continue ;;
    esac
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
    rm -rf "/var/run/dpdk/$d"
  done
}

# headline BENCH METRIC VALUE UNIT [TARGET VERDICT]
headline() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:-?}" "$4" "${5:-}" "${6:-}" >> "$HEAD"; }
# verdict VALUE OP LIMIT -> "met" / "NOT met" / "?" (OP: lt le gt ge)
verdict() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "" || v == "?" || l == "" || l == "?") { print "?"; exit }
    ok = (op == "lt" && v+0 < l+0) || (op == "le" && v+0 <= l+0) ||
         (op == "gt" && v+0 > l+0) || (op == "ge" && v+0 >= l+0)
    print ok ? "met" : "NOT met" }'
}

# run_bench NAME TIMEOUT_S local|net CMD...: header, output to the terminal and NAME.txt,
# status. "net": CMD uses the reference network: it runs holding /run/jw-testnet.lock
# (waiting at most BENCH_LOCK_WAIT seconds for it, default 900; not taken again when the
# caller says it holds it: JW_TESTNET_LOCKED=1), the time limit starts once the lock is
# held, and the network is taken down afterwards (also after a time-out).
LOCK_WAIT=${BENCH_LOCK_WAIT:-900}
LOCK_BUSY=75
run_bench() {
  local name=$1 tmo=$2 mode=$3 t0 rc before
  shift 3
  local var="BENCH_TIMEOUT_${name^^}"
  tmo=${!var:-$tmo}
  echo
  echo "================================================================================"
  echo "== $name   $*$([ "$mode" = net ] && echo " (holding /run/jw-testnet.lock)")   limit ${tmo}s"
  echo "================================================================================"
  t0=$(date +%s)
  before=$(ls /var/run/dpdk 2>/dev/null)
  if [ "$mode" = net ]; then
    with_lock timeout -k 10 "$tmo" env JW_TESTNET_LOCKED=1 "$@" 2>&1 | tee "$OUT/$name.txt"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq "$LOCK_BUSY" ]; then
      echo "bench: $name: /run/jw-testnet.lock still taken after ${LOCK_WAIT}s: not run"
    else
      with_lock bash -c 'scripts/testnet.sh down >/dev/null 2>&1; ip netns del jw-cli 2>/dev/null; true'
    fi
  else
    timeout -k 10 "$tmo" "$@" 2>&1 | tee "$OUT/$name.txt"
    rc=${PIPESTATUS[0]}
  fi
  remove_new_eal_dirs "$before"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "bench: $name timed out after ${tmo}s"
  fi
  [ "$rc" -ne 0 ] && echo "bench: $name ended with status $rc"
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" >> "$STATUS"
  part_cleanup
  return 0
}
# with_lock CMD...: CMD holding the reference network's lock (exit LOCK_BUSY if it stays
# taken for LOCK_WAIT seconds), or directly when the caller holds it.
with_lock() {
  if [ "${JW_TESTNET_LOCKED:-0}" = 1 ]; then
    "$@"
  else
    flock -E "$LOCK_BUSY" -w "$LOCK_WAIT" /run/jw-testnet.lock "$@"
  fi
}

echo "bench: $(date -u '+%F %T') UTC, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), results in $OUT"
echo "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
setup_hugepages
{
  echo "date_utc $(date -u '+%F %T')"
  echo "cpus $(nproc)"
  echo "cpu_model $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel $(uname -r)"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "hugepages $(awk '$3 == "hugetlbfs" {printf "%s%s", n++ ? "," : "", $2}' /proc/mounts) $(cat /proc/sys/vm/nr_hugepages) pages of 2 MiB reserved"
} > "$OUT/machine.txt"

# ---------------------------------------------------------------------------------------
# The headline: the reference burst, jetwire vs cnats vs nats.go (tests/bench/burst/run.sh).
if wanted burst; then
  run_bench burst 600 net tests/bench/burst/run.sh
  [ -f "$OUT/burst-headlines.tsv" ] && cat "$OUT/burst-headlines.tsv" >> "$HEAD"
fi

# Sustained: the adaptive window against fixed ones and cnats (tests/bench/window/run.sh).
if wanted window; then
  run_bench window 900 net tests/bench/window/run.sh
  [ -f "$OUT/window-headlines.tsv" ] && cat "$OUT/window-headlines.tsv" >> "$HEAD"
fi

# ---------------------------------------------------------------------------------------
if wanted codec; then
  run_bench codec 120 local build/bench/bench_codec
  f=$OUT/codec.txt
  v=$(awk '$1 == 128 && $2 == "HPUB+msgid" {print $5}' "$f")
  headline codec "encode 128 B HPUB+msgid (fast path)" "$v" "ns/frame" "< 25" "$(verdict "$v" lt 25)"
  v=$(awk '$1 == 128 && $2 == "PUB" {print $5}' "$f")
  headline codec "encode 128 B PUB (fast path)" "$v" "ns/frame" "< 25" "$(verdict "$v" lt 25)"
  v=$(awk '$1 == 1024 && $2 == "PUB" {sub("x","",$(NF-1)); print $(NF-1)}' "$f")
  headline codec "encode 1 KiB PUB / memcpy" "$v" "x" "<= 2" "$(verdict "$v" le 2)"
  v=$(awk '$1 == 1024 && $2 == "HPUB+msgid" {sub("x","",$(NF-1)); print $(NF-1)}' "$f")
  headline codec "encode 1 KiB HPUB+msgid / memcpy" "$v" "x" "<= 2" "$(verdict "$v" le 2)"
  v=$(awk '/^nats_puback_parse \(JSON only\)/ {print $NF}' "$f")
  headline codec "PubAck parse (JSON)" "$v" "M acks/s" "> 20" "$(verdict "$v" gt 20)"
  v=$(awk '/^nats_parser_next \+ nats_puback_parse/ {print $NF}' "$f")
  headline codec "PubAck parse (stream + JSON)" "$v" "M acks/s" "> 20" "$(verdict "$v" gt 20)"
fi

# ---------------------------------------------------------------------------------------
if wanted producer; then
  run_bench producer 240 local build/bench/bench_producer
  f=$OUT/producer.txt
  row() { awk -v r="$1" -v c="$2" 'index($0, r) == 1 { n = split(substr($0, length(r) + 1), a, " "); print a[c] }' "$f"; }
  jw99=$(row "p99 ns" 1); rk99=$(row "p99 ns" 2); cn99=$(row "p99 ns" 3)
  jwmax=$(row "max ns" 1); cnmax=$(row "max ns" 3)
  cps=$(row "calls/s cpu" 1)
  headline producer "jw_publish p99" "$jw99" "ns" "< 200" "$(verdict "$jw99" lt 200)"
  lim=$(awk -v a="$rk99" 'BEGIN { if (a == "") print "?"; else print a / 10 }')
  headline producer "jw_publish p99 vs rd_kafka_producev p99 ($rk99 ns)" "$jw99" "ns" "<= $lim" "$(verdict "$jw99" le "$lim")"
  lim=$(awk -v a="$cnmax" 'BEGIN { if (a == "") print "?"; else print a / 100 }')
  headline producer "jw_publish max vs js_PublishAsync max ($cnmax ns)" "$jwmax" "ns" "< $lim" "$(verdict "$jwmax" lt "$lim")"
  v=$(awk -v c="$cps" 'BEGIN { if (c == "") print "?"; else printf "%.1f", c / 1e6 }')
  headline producer "jw_publish calls/s (one producer, per CPU s)" "$v" "M/s" "> 20" "$(verdict "$v" gt 20)"
  headline producer "js_PublishAsync p99 (MaxPending 50,000)" "$cn99" "ns" "" ""
fi

# ---------------------------------------------------------------------------------------
if wanted stats; then
  run_bench stats 120 local build/bench/bench_stats
  f=$OUT/stats.txt
  v=$(awk '$1 == "stats" {sub("^[+]", "", $4); print $4}' "$f")
  headline stats "counting cost per TX/ack step (9 updates) vs plain" "$v" "ns" "" ""
  v=$(awk '$1 == "stats+tel" {sub("^[+]", "", $4); print $4}' "$f")
  headline stats "same with a telemetry reader at 100 Hz" "$v" "ns" "" ""
fi

# ---------------------------------------------------------------------------------------
if wanted tcp; then
  run_bench tcp 600 net tests/bench/tcp/run.sh
  f=$OUT/tcp.txt
  v=$(awk '/^tcp: tx_cycles_per_segment/ {print $3}' "$f")
  headline tcp "bench_tcp TX cycles/segment (null device)" "$v" "cycles" "" ""
  read -r r1 r2 < <(sed -n 's/^tcp: ratio jwtcpsend\/kernel \([0-9.]*\) (offloads off), \([0-9.]*\).*/\1 \2/p' "$f")
  v=$(sed -n 's/^tcp: jwtcpsend \([0-9.]*\) Mbit.*/\1/p' "$f")
  headline tcp "jwtcpsend bulk throughput" "$v" "Mbit/s" "" ""
  headline tcp "jwtcpsend / kernel sender (offloads off)" "${r1:-?}" "x" "" ""
  headline tcp "jwtcpsend / kernel sender (default offloads)" "${r2:-?}" "x" "" ""
  v=$(sed -n 's/^tcp: TX lcore cycles per segment[^:]*: \([0-9.]*\) \([0-9.]*\)/\2/p' "$f")
  headline tcp "jwtcpsend TX lcore cycles/segment (TCP only)" "$v" "cycles" "" ""
  for l in 0.1 1 2; do
    v=$(sed -n "s/^tcp: loss ${l}% median [0-9.]* Mbit\/s ratio \([0-9.]*\)/\1/p" "$f")
    if [ "$l" = 1 ]; then
      headline tcp "jwtcpsend at 1% loss / clean" "$v" "x" ">= 0.5" "$(verdict "$v" ge 0.5)"
    else
      headline tcp "jwtcpsend at ${l}% loss / clean" "$v" "x" "" ""
    fi
    v=$(sed -n "s/^tcp: engine loss ${l}% median [0-9.]* acked\/s ratio \([0-9.]*\)/\1/p" "$f")
    if [ "$l" = 1 ]; then
      headline tcp "engine acked rate at 1% loss / clean" "$v" "x" ">= 0.8" "$(verdict "$v" ge 0.8)"
    else
      headline tcp "engine acked rate at ${l}% loss / clean" "$v" "x" "" ""
    fi
  done
fi

# ---------------------------------------------------------------------------------------
# A late server: SIGSTOP 5 s and a CPU hog on the server's CPU, jetwire vs cnats.
if wanted pause; then
  run_bench pause 600 net tests/bench/pause/run.sh
  f=$OUT/pause-table.txt
  if [ -f "$f" ]; then
    v=$(awk '$1 == "pause" && $2 == "jetwire" {print $5}' "$f")
    headline pause "resends into a server paused 5 s (jetwire)" "$v" "" "0" "$(verdict "$v" le 0)"
    v=$(awk '$1 == "pause" && $2 == "jetwire" {print $9}' "$f")
    c=$(awk '$1 == "pause" && $2 == "cnats" {print $9}' "$f")
    headline pause "all acked after SIGCONT, jetwire (cnats $c s)" "$v" "s" "" ""
    v=$(awk '$1 == "overload" && $2 == "jetwire" {print $4}' "$f")
    c=$(awk '$1 == "overload" && $2 == "cnats" {print $4}' "$f")
    headline pause "acked/s with a CPU hog on the server's CPU, jetwire (cnats $c)" "$v" "msgs/s" "" ""
  fi
fi

# ---------------------------------------------------------------------------------------
if wanted engine; then
  if [ -x tests/bench/engine/run.sh ]; then
    run_bench engine 900 net tests/bench/engine/run.sh
    # tests/bench/engine/run.sh appends its own headlines (it knows its table).
    [ -f "$OUT/engine-headlines.tsv" ] && cat "$OUT/engine-headlines.tsv" >> "$HEAD"
  else
    echo "bench: tests/bench/engine/run.sh not present: engine benchmark skipped"
    printf 'engine\tmissing\t0\n' >> "$STATUS"
  fi
fi

# ---------------------------------------------------------------------------------------
if wanted tls; then
  run_bench tls 600 net tests/bench/tls/run.sh
  # tests/bench/tls/run.sh writes its own headlines (targets of issue 15).
  [ -f "$OUT/tls-headlines.tsv" ] && cat "$OUT/tls-headlines.tsv" >> "$HEAD"
fi

# ---------------------------------------------------------------------------------------
if wanted go; then
  run_bench go 600 net tests/bench/go/run.sh
  # tests/bench/go/run.sh writes its own headlines (targets of issue 14).
  [ -f "$OUT/go-headlines.tsv" ] && cat "$OUT/go-headlines.tsv" >> "$HEAD"
fi

if wanted failover; then
  run_bench failover 300 net tests/bench/failover/run.sh
  # tests/bench/failover/run.sh writes its own headlines (issue 12's benchmark).
  [ -f "$OUT/failover-headlines.tsv" ] && cat "$OUT/failover-headlines.tsv" >> "$HEAD"
fi

# ---------------------------------------------------------------------------------------
echo "bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
{
  echo
  echo "================================================================================"
  echo "== summary ($(nproc) CPUs shared with whatever else runs; see machine.txt)"
  echo "================================================================================"
  awk -F'\t' '{ printf "%-9s %-66s %12s %-9s %-13s %s\n", $1, $2, $3, $4, $5, $6 }' "$HEAD"
  echo
  awk -F'\t' '{ printf "ran %-9s status %-4s %5s s\n", $1, $2, $3 }' "$STATUS"
} | tee "$OUT/summary.txt"

{
  printf '{"machine":'
  jq -R -s 'split("\n") | map(select(length > 0) | capture("^(?<k>[^ ]+) (?<v>.*)$")) | map({(.k): .v}) | add' "$OUT/machine.txt"
  printf ',"headlines":'
  jq -R -s 'split("\n") | map(select(length > 0) | split("\t")
    | {bench: .[0], metric: .[1], value: (.[2] | tonumber? // .), unit: .[3],
       target: .[4], verdict: .[5]})' "$HEAD"
  printf ',"runs":'
  jq -R -s 'split("\n") | map(select(length > 0) | split("\t")
    | {bench: .[0], status: (.[1] | tonumber? // .), seconds: (.[2] | tonumber)})' "$STATUS"
  if [ -f "$OUT/engine.json" ]; then printf ',"engine":'; cat "$OUT/engine.json"; fi
  printf '}\n'
} | jq . > "$OUT/summary.json" || echo "bench: summary.json could not be written"
echo "bench: results in $OUT (summary.txt, summary.json)"

awk -F'\t' '$2 != 0 { bad = 1 } END { exit bad }' "$STATUS"
