#!/usr/bin/env bash
# A server that pauses (SIGSTOP, as a GC pause or a disk stall looks to a client) must not
# trigger resends: the connection stays up, every byte was delivered, the server is late.
#   1. dedupe = off, 200,000 publishes, server stopped 5 s mid-run: the stream holds
#      exactly 200,000 (no duplicate), no resend at all, every report acked;
#   2. dedupe = msgid, the same: no resend was sent;
#   3. a pause longer than [nats] liveness_timeout_ms: jetwire gives the connection up,
#      reconnects, resends what was live, and the stream holds each message once (msgid).
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=200000
RATE=40000          # 5 s of publishing: the pause falls in the middle of it
PAUSE_S=5
server_pid() { cat /run/jetwire-testnet/nats.pid; }
cont_server() { kill -CONT "$(server_pid)" 2>/dev/null || true; }
trap 'cont_server; engine_cleanup' EXIT

# run NAME STREAM SUBJECT pause_s [--set ...]: publish N at RATE, pause the server 1.5 s in
run() {
  local stream=$1 subj=$2 pause=$3; shift 3
  engine_start 1 "$@"
  jwpub -i "$JW_INSTANCE" -s "$subj" -n "$N" --rate "$RATE" --wait --timeout 120 --json \
    > "$JW_TMP/pub.json" 2>&1 &
  local pub=$!
  sleep 1.5
  kill -STOP "$(server_pid)"
  echo "server stopped for ${pause}s"
  sleep "$pause"
  kill -CONT "$(server_pid)"
  wait "$pub" || fail "publish: $(cat "$JW_TMP/pub.json")"
  cat "$JW_TMP/pub.json"
  engine_stop
  grep -E "engine: (sent|resends on)" "$JW_LOG"
  [ "$(engine_counter acked)" -eq "$N" ] || fail "acked $(engine_counter acked) of $N"
}
resends() { sed -n 's/.*engine: sent [0-9]*, resent \([0-9]*\),.*/\1/p' "$JW_LOG" | tail -1; }
stalled() { sed -n 's/.*not resent (server stalled) \([0-9]*\),.*/\1/p' "$JW_LOG" | tail -1; }

engine_net_up
engine_stream JWPAUSE1 'pause1.>'
run JWPAUSE1 pause1.x "$PAUSE_S" --set flow.dedupe=off
[ "$(resends)" -eq 0 ] || fail "$(resends) resends into a paused server (dedupe off)"
[ "$(stalled)" -gt 0 ] || fail "the pause was not noticed (no publish counted as stalled)"
jwjs verify JWPAUSE1 "$N" || fail "dedupe off: the stream holds duplicates or misses some"

engine_stream JWPAUSE2 'pause2.>'
run JWPAUSE2 pause2.x "$PAUSE_S"
[ "$(resends)" -eq 0 ] || fail "$(resends) resends into a paused server (msgid)"
jwjs verify JWPAUSE2 "$N" || fail "msgid: stream count"

engine_stream JWPAUSE3 'pause3.>'
run JWPAUSE3 pause3.x 6 --set nats.liveness_timeout_ms=2500
grep -q "connection 0 ready" "$JW_LOG" || true
ready=$(grep -c 'ready (NATS session up)' "$JW_LOG")
[ "$ready" -ge 2 ] || fail "no reconnect after a pause longer than the liveness timeout"
[ "$(resends)" -gt 0 ] || fail "nothing resent after the reconnect"
jwjs verify JWPAUSE3 "$N" || fail "long pause: stream count (msgid must dedupe the resends)"
echo "PASS: 5 s pauses cost no resend (dedupe off: no duplicate); a pause beyond the" \
     "liveness timeout reconnects and stores each message once"
