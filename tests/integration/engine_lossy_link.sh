#!/usr/bin/env bash
# Exactly once over a bad link: the port's fault stage drops, duplicates and reorders 1% of
# the frames in both directions (TCP retransmits, PubAcks come late or twice); every
# message is still acked once and stored exactly once, in order.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=20000
engine_net_up
engine_stream JWLOSS 'loss.>'
engine_start 1 --set fault.tx_drop=0.01 --set fault.rx_drop=0.01 --set fault.tx_dup=0.01 \
  --set fault.rx_dup=0.01 --set fault.tx_reorder=0.01 --set fault.rx_reorder=0.01 \
  --set fault.seed=7
jwpub -i "$JW_INSTANCE" -s loss.a -n "$N" --subjects 3 --wait --timeout 90 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
jwjs check JWLOSS loss.a "$N" || fail "stored messages"
jwjs verify JWLOSS "$N" || fail "stream count"
engine_stop
grep -E "engine: sent|fault stage" "$JW_LOG"
echo "PASS: lossy link: $N messages stored exactly once"
