#!/usr/bin/env bash
# A producer that reads its delivery reports slowly: with a report ring of 64 entries (jwpub
# reads reports only every 256 publishes) the ring is full most of the time. Reports then
# wait in jetwire (deferred, in order), the ring space they cover is released only after
# them, and nothing is lost: every message gets its report and is stored exactly once.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=20000
engine_net_up
engine_stream JWBACK 'back.>'
engine_start 1 --set shm.report_entries=64
jwpub -i "$JW_INSTANCE" -s back.a -n "$N" --subjects 2 --wait --timeout 60 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "jwpub: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked" "$JW_TMP/pub" || fail "not every message acked"
jwjs check JWBACK back.a "$N" || fail "stored messages"
engine_stop
grep -E "engine: (sent|reports)" "$JW_LOG"
deferred=$(sed -n 's/.*engine: reports deferred \([0-9]*\).*/\1/p' "$JW_LOG")
lost=$(sed -n 's/.*engine: reports deferred [0-9]* (report ring full), lost \([0-9]*\).*/\1/p' "$JW_LOG")
[ "${deferred:-0}" -gt 0 ] || fail "the report ring never filled: the test proves nothing"
[ "${lost:-1}" -eq 0 ] || fail "$lost reports lost"
echo "PASS: $deferred reports waited for room, none lost"
