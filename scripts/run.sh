#!/usr/bin/env bash
# `make run`: jetwire's main job on the built-in default configuration, end to end.
#   1. the reference network comes up (scripts/testnet.sh), a memory stream JWRUN captures
#      jw.run.>, jetwire starts on dpdk-config/default.conf and its NATS session gets ready;
#   2. jwpub publishes 1,000,000 messages of 128 bytes over 5 subjects (a live progress line
#      when stderr is a terminal) and waits for every delivery report;
#   3. a summary: acked msgs/s, call latency p50/p99/p99.9/max, ack latency p50/p99;
#   4. JetStream's stream info must hold exactly that many messages: "verified: N messages
#      stored", exit status 0;
#   5. everything is torn down (also on failure or Ctrl-C).
# Knobs: JW_RUN_COUNT (messages, default 1000000), JW_RUN_CONF (config file),
# JW_RUN_SET ("section.key=value ..." overrides for jetwire).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }
for b in build/jetwire build/jwpub build/jwjs build/bench/bench_engine; do
  [ -x "$b" ] || { echo "run: $b missing: run make first" >&2; exit 1; }
done

COUNT=${JW_RUN_COUNT:-1000000}
CONF=${JW_RUN_CONF:-dpdk-config/default.conf}
STREAM=JWRUN
SUBJECT=jw.run
SUBJECTS=5
BSTREAM=JWRUNBURST   # the reference burst goes to its own stream first
BSUBJECT=jw.burst

source scripts/testnet-lock.bash
jw_testnet_lock   # unless the caller already holds it (flock /run/jw-testnet.lock make run)
tmp=$(mktemp -d /tmp/jw-run.XXXXXX)
log=$tmp/jetwire.log
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  ip netns exec jw-srv build/jwjs rm "$STREAM" >/dev/null 2>&1 || true
  ip netns exec jw-srv build/jwjs rm "$BSTREAM" >/dev/null 2>&1 || true
  scripts/testnet.sh down >/dev/null 2>&1 || true
  # What this run created and nothing else: its EAL runtime dir, and the shared memory of
  # the default instance unless it was there before (then it may hold someone's records).
  rm -rf "/var/run/dpdk/jw-run-$$"
  [ "$shm_existed" -eq 1 ] || rm -f /dev/shm/jetwire.default
  rm -rf "$tmp"
}
shm_existed=0
[ -e /dev/shm/jetwire.default ] && shm_existed=1
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "run: $*"; }

# 1. network, stream, jetwire (children must not inherit the lock descriptor)
scripts/testnet.sh up 9>&-
ip netns exec jw-srv build/jwjs add "$STREAM" "$SUBJECT.>" 9>&- | sed 's/^/run: /'
sets=(--set "eal.file_prefix=jw-run-$$")
for kv in ${JW_RUN_SET:-}; do sets+=(--set "$kv"); done
build/jetwire -c "$CONF" "${sets[@]}" > "$log" 2>&1 9>&- &
pid=$!
for _ in $(seq 300); do
  grep -q "ready (NATS session up)" "$log" && break
  kill -0 "$pid" 2>/dev/null || { grep -v '^EAL:' "$log" >&2; say "jetwire exited"; exit 1; }
  sleep 0.1
done
grep -q "ready (NATS session up)" "$log" || { grep -v '^EAL:' "$log" >&2; say "no NATS session after 30 s"; exit 1; }
grep -E "engine:|resolved|ready" "$log" | sed 's/^/  | /'

# 2. publish
# The reference burst (5 subjects x 10,000 x 128 B, as fast as jw_publish goes): submit time,
# all-acked time and end-to-end latency (publish call -> delivery report), measured by
# bench_engine's jetwire client (make bench compares it with cnats and nats.go).
ip netns exec jw-srv build/jwjs add "$BSTREAM" "$BSUBJECT.>" 9>&- | sed 's/^/run: /'
inst=$(build/jetwire -c "$CONF" "${sets[@]}" --dump-config 2>/dev/null | sed -n 's/^shm\.instance *= *//p' | head -1)
say "reference burst: 5 subjects x 10,000 messages of 128 bytes (instance ${inst:-default})"
brc=0
build/bench/bench_engine --client jetwire -i "${inst:-default}" -s "$BSUBJECT.x" -n 50000 \
  --subjects 5 -z 128 --timeout 60 --tag "run-$$" > "$tmp/burst.json" 2> "$tmp/burst.err" 9>&- || brc=$?
sed 's/^/  | /' "$tmp/burst.err"
bverified=$(ip netns exec jw-srv build/jwjs verify "$BSTREAM" 50000 9>&- 2>&1) || brc=1
echo "  | $bverified"

say "jwpub publishes $COUNT messages of 128 bytes over $SUBJECTS subjects ($SUBJECT.0-$((SUBJECTS-1)))"
rc=0
build/jwpub -s "$SUBJECT" -n "$COUNT" --subjects "$SUBJECTS" --wait --timeout 120 \
  > "$tmp/jwpub.out" 9>&- || rc=$?
sed 's/^/  | /' "$tmp/jwpub.out"

# jetwire's own summary (ack latency) comes at its exit
kill -TERM "$pid"
wait "$pid" || true
pid=

# 3. summary
num() { sed -n "$1" "$2" | head -1; }
acked=$(num 's/^reports: \([0-9]*\) acked.*/\1/p' "$tmp/jwpub.out")
failed=$(num 's/.* \([0-9]*\) failed,.*/\1/p' "$tmp/jwpub.out")
rate=$(num 's/.*acked rate \([0-9]*\) msg\/s.*/\1/p' "$tmp/jwpub.out")
read -r p50 p99 p999 max < <(sed -n 's/^call latency ns: p50 \([0-9]*\).* p99 \([0-9]*\)  p99.9 \([0-9]*\)  max \([0-9]*\).*/\1 \2 \3 \4/p' "$tmp/jwpub.out")
read -r a50 a99 < <(sed -n 's/.*ack latency us: p50 \([0-9.]*\) p99 \([0-9.]*\).*/\1 \2/p' "$log")
echo
if [ -s "$tmp/burst.json" ]; then
  jq -r '"reference burst (5 x 10,000 x 128 B): submit \(.submit_s * 1000 | floor) ms, all acked \(.all_acked_s * 1000 | floor) ms, refused \(.refused), acked \(.acked), failed \(.failed); publish -> report p50 \(.ack_us.p50 / 1000 | floor) ms, p99 \(.ack_us.p99 / 1000 | floor) ms, max \(.ack_us.max / 1000 | floor) ms; call p99 \(.call_ns.p99) ns"' "$tmp/burst.json"
fi
echo "summary ($COUNT messages, 128 B, $SUBJECTS subjects, memory stream, $CONF)"
printf '  %-14s %s acked, %s failed\n' "reports" "${acked:-?}" "${failed:-?}"
printf '  %-14s %s\n' "acked msgs/s" "${rate:-?}"
printf '  %-14s p50 %s ns  p99 %s ns  p99.9 %s ns  max %s ns\n' "call latency" \
  "${p50:-?}" "${p99:-?}" "${p999:-?}" "${max:-?}"
printf '  %-14s p50 %s us  p99 %s us\n' "ack latency" "${a50:-?}" "${a99:-?}"
grep -E "engine: sent" "$log" | sed 's/^jetwire: /  /'
echo

# 4. JetStream's own count
ip netns exec jw-srv build/jwjs info "$STREAM" 9>&- | sed 's/^/run: /'
vrc=0
ip netns exec jw-srv build/jwjs verify "$STREAM" "$COUNT" 9>&- || vrc=$?
[ "$rc" -eq 0 ] || { say "jwpub reported failures (status $rc)"; exit 1; }
[ "$brc" -eq 0 ] || { say "the reference burst was not stored exactly (status $brc)"; exit 1; }
exit "$vrc"
