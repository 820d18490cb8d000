#!/usr/bin/env bash
# The promise across a crash of a TLS server: the TLS nats-server is SIGKILLed and restarted
# (same file store) while jwpub publishes; jetwire's TLS session breaks mid-record, it
# reconnects with a new handshake and resends every unacknowledged publish with its
# Nats-Msg-Id; every message is acked and stored exactly once, in order.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-30000}
engine_net_up
tls_pki
tls_server_start
tls_stream JWTCRASH 'tcrash.>' --file
engine_start 1 "${TLS_SET[@]}"
jwpub -i "$JW_INSTANCE" -s tcrash.a -n "$N" --rate 10000 --wait --timeout 90 > "$JW_TMP/pub" &
pp=$!
sleep 1
tls_server_kill
sleep 0.5
tls_server_start
wait "$pp" || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
tjwjs check JWTCRASH tcrash.a "$N" || fail "stored messages"
tjwjs verify JWTCRASH "$N" || fail "stream count"
engine_stop
grep -E "engine: sent|TLSv" "$JW_LOG"
[ "$(grep -c 'ready (NATS session up)' "$JW_LOG")" -ge 2 ] || fail "no reconnect seen"
[ "$(grep -c 'TLSv1.3' "$JW_LOG")" -ge 2 ] || fail "the reconnect did not run TLS"
echo "PASS: TLS server restart: $N messages acked and stored exactly once"
