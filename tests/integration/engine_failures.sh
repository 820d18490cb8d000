#!/usr/bin/env bash
# Failed delivery reports with reasons, and refusals at jw_publish:
#   - a subject no stream captures -> failed, reason "no stream" (503 no responders);
#   - Nats-Expected-Stream naming another stream -> failed with err_code 10060;
#   - a payload over the server's max_payload -> refused by jw_publish (JW_E2BIG);
# and the good messages around them are still stored.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
engine_net_up
engine_stream JWFAIL 'fail.>'
engine_start 1

# no stream captures nostream.x
rc=0
jwpub -i "$JW_INSTANCE" -s nostream.x -n 10 --wait --timeout 30 > "$JW_TMP/ns" || rc=$?
cat "$JW_TMP/ns"
[ "$rc" -eq 1 ] || fail "jwpub should exit 1 on failed reports (got $rc)"
grep -q "^reports: 0 acked.* 10 failed, 0 missing" "$JW_TMP/ns" || fail "no-stream: want 10 failed"
grep -qi "failed: no stream.*(code 503.*: 10" "$JW_TMP/ns" || fail "no-stream: reason/code missing"

# Nats-Expected-Stream mismatch
rc=0
jwpub -i "$JW_INSTANCE" -s fail.exp -n 10 -H 'Nats-Expected-Stream: NOT_THIS_ONE' --wait \
  --timeout 30 > "$JW_TMP/exp" || rc=$?
cat "$JW_TMP/exp"
[ "$rc" -eq 1 ] || fail "expected-stream: jwpub should exit 1 (got $rc)"
grep -q "err_code 10060): 10" "$JW_TMP/exp" || fail "expected-stream: want err_code 10060"

# over max_payload (nats-server default 1 MiB; the ring holds 4 MiB): refused at once
rc=0
jwpub -i "$JW_INSTANCE" -s fail.big -n 1 -z 1100000 --wait --timeout 10 > "$JW_TMP/big" 2>&1 || rc=$?
cat "$JW_TMP/big"
[ "$rc" -ne 0 ] || fail "oversized message was accepted"
grep -qi "publish #0 failed: .*max_payload\|publish #0 failed: .*too" "$JW_TMP/big" \
  || fail "oversized: want a JW_E2BIG refusal"
# just under the limit (with jetwire's Msg-Id header) is accepted and stored
jwpub -i "$JW_INSTANCE" -s fail.ok -n 3 -z 1000000 --wait --timeout 30 || fail "large message"
jwjs check JWFAIL fail.ok 3 || fail "large messages not stored"

engine_stop
grep "engine: sent" "$JW_LOG"
[ "$(engine_counter failed)" -eq 20 ] || fail "engine failed count"
jwjs verify JWFAIL 3 || fail "only the good messages are stored"
echo "PASS: no-stream, expected-stream and max_payload failures reported"
