#!/usr/bin/env bash
# Exactly once over TLS on a bad link: the fault stage drops, duplicates and reorders 1% of
# the frames both ways. TCP retransmits the same ciphertext (records are sealed before the
# bytes enter TCP's send queue), so the server decrypts every record once, in order, and
# every message is acked and stored exactly once.
set -euo pipefail
source "$(dirname "$0")/lib-tls.bash"
N=${JW_TEST_N:-20000}
engine_net_up
tls_pki
tls_server_start
tls_stream JWTLOSS 'tloss.>'
engine_start 1 "${TLS_SET[@]}" --set fault.tx_drop=0.01 --set fault.rx_drop=0.01 \
  --set fault.tx_dup=0.01 --set fault.rx_dup=0.01 --set fault.tx_reorder=0.01 \
  --set fault.rx_reorder=0.01 --set fault.seed=11
jwpub -i "$JW_INSTANCE" -s tloss.a -n "$N" --subjects 3 --wait --timeout 120 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
tjwjs check JWTLOSS tloss.a "$N" || fail "stored messages"
tjwjs verify JWTLOSS "$N" || fail "stream count"
engine_stop
grep -E "engine: sent|fault stage" "$JW_LOG"
echo "PASS: lossy link under TLS: $N messages stored exactly once"
