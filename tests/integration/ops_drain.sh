#!/usr/bin/env bash
# Graceful stop: SIGTERM during a 200,000-message run. jetwire stops taking new records,
# waits for the acks of what it had sent, exits 0; at that moment every publish it had sent
# is acked (its exit summary: sent = acked, nothing failed) and the stream holds exactly
# those. The records it never sent stay in the ring; after a restart they are delivered,
# none of them a JetStream duplicate (nothing had been sent twice), and in the end every
# message has a report and is stored exactly once (Nats-Msg-Id), in order.
# Also: SIGHUP re-reads the [flow] tunables from the file (a bad value changes nothing);
# and when the server stops answering (SIGSTOP) the drain gives up after drain_timeout_s,
# still exits 0, and the unacknowledged records are delivered by the next start, once.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=200000
# one 64 MiB ring holds the whole run, so jwpub has published everything before the stop
RING=(--set shm.slots=1 --set shm.ring_bytes=64M)
CONF=$JW_TMP/drain.conf
cp "$JW_ROOT/dpdk-config/default.conf" "$CONF"
printf '\n[engine]\ndrain_timeout_s = 20\n' >> "$CONF"

acked_now() {
  "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"]["acked"])' 2>/dev/null ||
    echo 0
}
SRV_STOPPED=
trap '[ -n "$SRV_STOPPED" ] && kill -CONT "$SRV_STOPPED" 2>/dev/null; engine_cleanup' EXIT
stream_count() { jwjs info JWDRAIN | sed -n 's/.*: \([0-9]*\) messages.*/\1/p'; }
summary_of() { # log field
  sed -n "s/.*engine: sent \([0-9]*\), resent \([0-9]*\), acked \([0-9]*\) (\([0-9]*\) duplicate), failed \([0-9]*\).*/\1 \2 \3 \4 \5/p" "$1" | tail -1
}

engine_net_up
engine_stream JWDRAIN 'drain.>'

JW_INSTANCE="jwt$$"
# jetwire on $CONF (lib-engine's engine_start takes default.conf)
start_conf() { # [--set k=v ...]
  JW_STARTS=$((JW_STARTS + 1)); JW_LOG=$JW_TMP/jetwire.$JW_STARTS.log; : > "$JW_LOG"
  "$JW_ROOT/build/jetwire" -c "$CONF" --set "eal.file_prefix=jw-engine-$$" \
    --set "shm.instance=$JW_INSTANCE" "${RING[@]}" "$@" > "$JW_LOG" 2>&1 &
  JW_PID=$!
  for _ in $(seq 300); do
    grep -q 'ready (NATS session up)' "$JW_LOG" && return 0
    kill -0 "$JW_PID" 2>/dev/null || fail "jetwire exited"
    sleep 0.1
  done
  fail "jetwire not ready after 30 s"
}
echo "== SIGHUP reloads [flow]"
tunable() { "$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --json |
  python3 -c "import json, sys; print(json.load(sys.stdin)['tunables']['$1'])"; }
start_conf
[ "$(tunable window_max)" = 16384 ] || fail "window_max at start: $(tunable window_max)"
sed -i 's/^\[flow\]/[flow]\nwindow_max = 2000\nack_timeout_ms = 3000/' "$CONF"
kill -HUP "$JW_PID"
for _ in $(seq 50); do [ "$(tunable window_max)" = 2000 ] && break; sleep 0.1; done
[ "$(tunable window_max)" = 2000 ] || fail "SIGHUP did not apply window_max"
[ "$(tunable ack_timeout_ms)" = 3000 ] || fail "SIGHUP did not apply ack_timeout_ms"
grep -q 'SIGHUP: .* applied: window 1024..2000, ack_timeout_ms 3000' "$JW_LOG" || fail "no reload log"
sed -i 's/^window_max = 2000/window_max = 1048576/' "$CONF"
kill -HUP "$JW_PID"
for _ in $(seq 50); do grep -q 'SIGHUP: .*nothing changed' "$JW_LOG" && break; sleep 0.1; done
grep 'SIGHUP' "$JW_LOG"
grep -q 'SIGHUP: .*window_max (1048576) exceeds the window capacity.*nothing changed' "$JW_LOG" || fail "bad reload not reported"
[ "$(tunable window_max)" = 2000 ] || fail "a rejected reload changed window_max"
sed -i 's/^window_max = 1048576/window_max = 16384/' "$CONF"
kill -HUP "$JW_PID"
for _ in $(seq 50); do [ "$(tunable window_max)" = 16384 ] && break; sleep 0.1; done
kill -0 "$JW_PID" || fail "jetwire died on SIGHUP"
echo "ok SIGHUP applies a valid [flow], rejects window_max 1048576 (over the window capacity) as /jetwire/set does"

echo "== SIGTERM during $N messages"
jwpub -i "$JW_INSTANCE" -s drain.a -n "$N" --wait --timeout 120 > "$JW_TMP/pub" 2>&1 &
pp=$!
for _ in $(seq 600); do [ "$(acked_now)" -ge 40000 ] && break; sleep 0.05; done
kill -TERM "$JW_PID"
t0=$(date +%s.%N)
rc=0; wait "$JW_PID" || rc=$?
JW_PID=
[ "$rc" -eq 0 ] || fail "jetwire exited $rc after SIGTERM"
echo "jetwire drained and exited 0 in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
grep -E 'stop requested|drain:|engine: sent' "$JW_LOG"
read -r sent resent acked dup failed <<< "$(summary_of "$JW_LOG")"
[ -n "$sent" ] || fail "no exit summary"
grep -q 'drain: every sent publish has its outcome' "$JW_LOG" || fail "drain did not finish"
[ "$failed" -eq 0 ] || fail "$failed failed during the drain"
[ "$acked" -eq "$sent" ] || fail "sent $sent but acked $acked before exit"
[ "$acked" -lt "$N" ] || fail "the stop came after everything was sent: nothing tested"
kill -0 "$pp" 2>/dev/null || { cat "$JW_TMP/pub"; fail "jwpub gave up at the stop"; }
stored=$(stream_count)
[ "$stored" -eq "$acked" ] || fail "stream holds $stored after the stop, jetwire acked $acked"
echo "ok at the stop: sent $sent = acked $acked = stored $stored; $((N - acked)) still in the ring"
first=$acked

echo "== restart: the rest"
start_conf
wait "$pp" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked (0 duplicate" "$JW_TMP/pub" || fail "not every message acked once"
jwjs check JWDRAIN drain.a "$N" || fail "stored messages"
jwjs verify JWDRAIN "$N" || fail "stream count"
kill -TERM "$JW_PID"; rc=0; wait "$JW_PID" || rc=$?; JW_PID=
[ "$rc" -eq 0 ] || fail "second jetwire exit $rc"
read -r sent resent acked dup failed <<< "$(summary_of "$JW_LOG")"
grep 'engine: sent' "$JW_LOG"
[ "$sent" -eq $((N - first)) ] || fail "restart sent $sent, expected $((N - first))"
[ "$dup" -eq 0 ] || fail "restart saw $dup JetStream duplicates"

echo "== drain timeout: the server stops answering mid-run"
N2=30000
start_conf --set engine.drain_timeout_s=2 --set flow.window=16  # slow, so the stop comes mid-run
jwpub -i "$JW_INSTANCE" -s drain.b -n "$N2" --wait --timeout 120 > "$JW_TMP/pub2" 2>&1 &
pp=$!
for _ in $(seq 600); do [ "$(acked_now)" -ge 2000 ] && break; sleep 0.05; done
SRV_STOPPED=$(cat /run/jetwire-testnet/nats.pid)
kill -STOP "$SRV_STOPPED"
sleep 0.3
kill -TERM "$JW_PID"
t0=$(date +%s.%N)
rc=0; wait "$JW_PID" || rc=$?
JW_PID=
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
kill -CONT "$SRV_STOPPED"; SRV_STOPPED=
[ "$rc" -eq 0 ] || fail "jetwire exited $rc after a drain that timed out"
grep -E 'drain:' "$JW_LOG"
left=$(sed -n 's/.*drain: \([0-9]*\) publishes still unfinished after 2 s.*/\1/p' "$JW_LOG")
[ -n "$left" ] && [ "$left" -gt 0 ] || fail "no drain timeout with unfinished publishes"
awk -v t="$took" 'BEGIN { exit !(t >= 2 && t < 8) }' || fail "drain took $took s with drain_timeout_s 2"
kill -0 "$pp" 2>/dev/null || { cat "$JW_TMP/pub2"; fail "jwpub gave up at the stop"; }
echo "ok exited 0 after $took s with $left publishes unfinished (they stay in the ring)"
start_conf
wait "$pp" || { cat "$JW_TMP/pub2"; fail "jwpub: failed or missing reports after the timeout"; }
cat "$JW_TMP/pub2"
grep -q "^reports: $N2 acked" "$JW_TMP/pub2" || fail "not every message of the second run acked"
jwjs check JWDRAIN drain.b "$N2" || fail "second run's messages"
jwjs verify JWDRAIN $((N + N2)) || fail "stream count"
kill -TERM "$JW_PID"; rc=0; wait "$JW_PID" || rc=$?; JW_PID=
[ "$rc" -eq 0 ] || fail "last jetwire exit $rc"
rm -f "/dev/shm/jetwire.$JW_INSTANCE"
echo "PASS: SIGTERM drained $first acked publishes, the other $((N - first)) were delivered after the restart; $N stored exactly once; a drain that timed out left its unacked records for the next start ($N2 stored once)"
