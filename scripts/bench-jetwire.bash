# Starting and stopping jetwire for a benchmark (sourced by tests/bench/{burst,pause,window,
# engine,go,tls}/run.sh). The caller sets RUNID (file prefix and shm instance), WORK (a temp
# dir), CLI_CPUS (where jetwire's lcores run) and JW_SETS (an array of --set overrides);
# BENCH_JETWIRE_NICE (default 0) runs jetwire at that nice level beside the producer;
# JW_BIN (default build/jetwire) is the binary (e.g. an earlier build, for before/after).
JW_PID=
N_JW=0

# bench_init NAME [TAG]: the preamble the benchmarks share. CPU placement (SRV_CPUS from
# BENCH_SERVER_CPU, default 1; CLI_CPUS from BENCH_CLIENT_CPU, default 0); OUT
# ($JW_BENCH_OUT, default build/bench-results/NAME-<time>) with an empty ROWS
# ($OUT/NAME-rows.jsonl); RUNID (file prefix and shm instance: $JW_BENCH_RUN_ID or
# jw-bench-<pid>, then -TAG, default NAME); WORK (a fresh temp dir); say() prefixes "NAME: ".
bench_init() {
  local name=$1 tag=${2:-$1}
  SRV_CPUS=${BENCH_SERVER_CPU:-1}
  CLI_CPUS=${BENCH_CLIENT_CPU:-0}
  OUT=${JW_BENCH_OUT:-$ROOT/build/bench-results/$name-$(date -u +%Y%m%dT%H%M%SZ)}
  RUNID=${JW_BENCH_RUN_ID:-jw-bench-$$}-$tag
  mkdir -p "$OUT"
  ROWS=$OUT/$name-rows.jsonl
  : > "$ROWS"
  WORK=$(mktemp -d "/tmp/jw-bench-$name.XXXXXX")
  BENCH_NAME=$name
  say() { echo "$BENCH_NAME: $*"; }
}

# shm_rm INSTANCE: the instance's shared memory wherever it lives: /dev/shm, and on a
# hugetlbfs mount behind its redirect in /dev/shm (removing the redirect alone would keep the
# hugepages of every benchmark's instance until make bench unmounts its hugetlbfs, and the
# later parts would find the pool empty and run on tmpfs). INSTANCE may end in '*' (every
# instance of a run id: scripts/bench.sh); instance names hold no blanks.
shm_rm() {
  local m
  for m in /dev/shm $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
    rm -f "$m"/jetwire.$1 # unquoted: the trailing '*', when given, globs
  done
}

# start_jetwire [--set k=v ...]: a fresh jetwire on the client CPUs, its log in
# $WORK/jetwire.log; returns once its NATS session is up (non-zero after 30 s or an exit).
start_jetwire() {
  N_JW=$((N_JW + 1))
  : > "$WORK/jetwire.log"
  shm_rm "$RUNID"
  nice -n "${BENCH_JETWIRE_NICE:-0}" taskset -c "$CLI_CPUS" "${JW_BIN:-build/jetwire}" \
    -c dpdk-config/default.conf \
    --set "eal.file_prefix=$RUNID-$N_JW" --set "shm.instance=$RUNID" \
    --set "eal.lcores=(0-2)@($CLI_CPUS)" "${JW_SETS[@]}" "$@" > "$WORK/jetwire.log" 2>&1 &
  JW_PID=$!
  for _ in $(seq 300); do
    grep -q "ready (NATS session up)" "$WORK/jetwire.log" && return 0
    kill -0 "$JW_PID" 2>/dev/null || break
    sleep 0.1
  done
  grep -v '^EAL:' "$WORK/jetwire.log" | tail -20 >&2
  echo "bench: jetwire did not get a NATS session" >&2
  stop_jetwire
  return 1
}

# stop_jetwire: SIGTERM (it drains), SIGKILL after 10 s.
stop_jetwire() {
  [ -n "$JW_PID" ] || return 0
  kill -TERM "$JW_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$JW_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$JW_PID" 2>/dev/null
  wait "$JW_PID" 2>/dev/null
  JW_PID=
}

# jetwire_resent: "resent N" from the exit summary of the last run.
jetwire_resent() {
  sed -n 's/.*engine: sent [0-9]*, resent \([0-9]*\),.*/\1/p' "$WORK/jetwire.log" | tail -1
}

# bench_server_pinned: a fresh nats-server of the reference network, born on SRV_CPUS
# (testnet.sh server-restart with JW_SERVER_CPUS), its pid in srv_pid. A Go server pinned
# after its start keeps GOMAXPROCS = the host's CPUs, and its threads then time-share the one
# CPU: measured here, its CPU per message moved between 2.8 and 5.3 us in identical cnats
# bursts (born pinned: 2.7 to 4.0, mostly 2.8 to 3.3).
bench_server_pinned() {
  JW_SERVER_CPUS=$SRV_CPUS scripts/testnet.sh server-restart >/dev/null 2>&1 ||
    { echo "bench: cannot restart nats-server on CPUs $SRV_CPUS" >&2; return 1; }
  srv_pid=$(cat /run/jetwire-testnet/nats.pid)
}

# jq definitions of what a row's client cost the server, for every benchmark that writes rows
# (prefix a jq program with "$JQ_SERVER_COST"), applied to a bench_engine row (.acked,
# .all_acked_s):
#   per_msg(x)    x per acked message (null when nothing was acked);
#   busy_share(ns) the share of the all-acked time the server ran, from its cpu_ns delta.
JQ_SERVER_COST='def per_msg(x): if (.acked // 0) > 0 then x / .acked else null end;
def busy_share(ns): if (.all_acked_s // 0) > 0 then ns / 1e9 / .all_acked_s else null end;
'

# cpu_ns PID: CPU time of every thread of PID so far, in ns (the scheduler's runtime from
# /proc/PID/task/*/schedstat: exact, where utime+stime count 10 ms ticks, as coarse as a
# reference burst's whole server time is long).
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

# srv_syscalls PID: "reads writes": the read and write system calls of every thread of PID so
# far (/proc/PID/io syscr, syscw). nats-server reads a client's socket once per wakeup and
# writes its PubAcks once per read's worth of publishes, so reads per message say how many
# messages each wakeup found (file storage adds its own writes).
srv_syscalls() {
  awk '/^syscr:/ {r = $2} /^syscw:/ {w = $2} END {printf "%.0f %.0f\n", r, w}' /proc/"$1"/io 2>/dev/null
}

# srv_if_packets IFACE: rx+tx packets of IFACE inside jw-srv so far (the server's side of a
# client's path: jwv1 for jetwire, lo for a client in jw-srv, the veth end for cnats-veth).
srv_if_packets() {
  ip netns exec jw-srv cat "/sys/class/net/$1/statistics/rx_packets" \
    "/sys/class/net/$1/statistics/tx_packets" | awk '{s += $1} END {printf "%.0f\n", s}'
}

# srv_if_rx IFACE: rx packets of IFACE inside jw-srv so far (what the client sent the server:
# its data segments and pure ACKs; lo counts each packet once, as rx and as tx).
srv_if_rx() {
  ip netns exec jw-srv cat "/sys/class/net/$1/statistics/rx_packets"
}

# stream_count: how many messages stream $STREAM holds (empty when it cannot tell).
stream_count() {
  ip netns exec jw-srv build/jwjs info "$STREAM" 2>/dev/null |
    sed -n 's/^stream [^:]*: \([0-9]*\) messages.*/\1/p'
}

# bench_teardown: what every benchmark on the reference network leaves behind, removed:
# jetwire, the stream $STREAM, the network, the shm instance and EAL directories of
# $RUNID, and $WORK. Callers stop their own extra processes first.
bench_teardown() {
  stop_jetwire
  ip netns exec jw-srv build/jwjs rm "$STREAM" >/dev/null 2>&1
  scripts/testnet.sh down >/dev/null 2>&1
  shm_rm "$RUNID"
  rm -rf /var/run/dpdk/"$RUNID"-* "$WORK"
}
