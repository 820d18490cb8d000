#!/usr/bin/env bash
# A Go producer (build/jwgopub, Producer.Publish) SIGKILLed in the middle of a burst loses
# nothing it was told was accepted: jwgopub keeps the count of accepted messages in a
# shared-mapped file (updated after each Publish returned, so it survives the kill); jetwire
# keeps sending the dead producer's ring (orphan slot) and the stream ends up holding
# messages 0..A-1 exactly once, in order, where A is that count (or A+1: the message whose
# Publish returned just before the kill, before the count was written). Then the slot is
# the instance still serves a new Go producer.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
[ -x "$JW_ROOT/build/jwgopub" ] || fail "build/jwgopub missing (make tests)"
jwgopub() { "$JW_ROOT/build/jwgopub" "$@"; }
acc() { od -An -t u8 "$JW_TMP/accepted" 2>/dev/null | tr -d ' ' || echo 0; }
engine_net_up
engine_stream GOKILL 'gokill.>'
engine_start 1
for round in 1 2; do
  jwjs add GOKILL 'gokill.>' >/dev/null || fail "stream"
  rm -f "$JW_TMP/accepted"
  "$JW_ROOT/build/jwgopub" -i "$JW_INSTANCE" -s gokill.r -n 2000000 -subjects 3 -accepted "$JW_TMP/accepted" \
    > "$JW_TMP/out" 2>&1 &
  pid=$!
  want=$((round * 30000))
  for _ in $(seq 300); do
    a=$(acc); [ "${a:-0}" -ge "$want" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$JW_TMP/out"; fail "jwgopub ended early"; }
    sleep 0.05
  done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  a=$(acc)
  [ "$a" -ge "$want" ] || fail "only $a accepted before the kill"
  [ "$a" -lt 2000000 ] || fail "the burst ended before the kill"
  # jetwire delivers what the dead producer left in its ring; wait until the stream is still.
  at_kill=$(jwjs info GOKILL | sed -n 's/.*: \([0-9]*\) messages.*/\1/p')
  last=-1
  for _ in $(seq 100); do
    got=$(jwjs info GOKILL | sed -n 's/.*: \([0-9]*\) messages.*/\1/p')
    [ "$got" = "$last" ] && [ "$got" -ge "$a" ] && break
    last=$got
    sleep 0.3
  done
  echo "round $round: $a accepted before SIGKILL; stream held $at_kill just after it, $got at the end"
  [ "$got" -ge "$a" ] && [ "$got" -le $((a + 1)) ] ||
    fail "stream holds $got messages, accepted were $a"
  jwjs check GOKILL gokill.r "$got" || fail "messages of the killed producer"
done
# The instance still serves a new Go producer: it publishes and gets every report.
jwgopub -i "$JW_INSTANCE" -s gokill.after -n 1000 -wait -timeout 30 > "$JW_TMP/after" 2>&1 || true
grep -q "^reports: 1000 acked" "$JW_TMP/after" || { cat "$JW_TMP/after"; fail "producer after the kills"; }
engine_stop
echo "PASS: SIGKILLed Go producers lost nothing they were told was accepted"
