#!/usr/bin/env bash
# Go producers (lib/go, through build/jwgopub) against the real jetwire on the reference
# network, read back through JetStream with cnats (build/jwjs check):
#   1. 200,000 messages from one Go Producer.Publish over 5 subjects: every report arrives,
#      all acked, every message stored exactly once, in order;
#   2. at the same time a Go AsyncPublisher (TX lcore 0) and the C jwpub (TX lcore 1),
#      50,000 each: both all acked and stored exactly once;
#   3. 5,000 messages with two headers from a Go header map (PublishMsg): stored with them.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=${JW_TEST_GO_N:-200000}
M=${JW_TEST_GO_M:-50000}
[ -x "$JW_ROOT/build/jwgopub" ] || fail "build/jwgopub missing (make tests)"
jwgopub() { "$JW_ROOT/build/jwgopub" "$@"; }
engine_net_up
engine_stream GOONCE 'goonce.>'
engine_start 2 "${JW_TWO_TX[@]}"

jwgopub -i "$JW_INSTANCE" -tx 0 -s goonce.pub -n "$N" -subjects 5 -wait -timeout 120 \
  > "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "Go Publish: failed or missing reports"; }
cat "$JW_TMP/pub"
grep -q "^reports: $N acked (0 duplicate, 0 dup-risk), 0 failed, 0 missing" "$JW_TMP/pub" ||
  fail "Go Publish: not every message acked exactly once"
jwjs verify GOONCE "$N" || fail "stream count after the Go burst"
jwjs check GOONCE goonce.pub "$N" || fail "Go Publish's messages"

"$JW_ROOT/build/jwgopub" -i "$JW_INSTANCE" -tx 0 -async -s goonce.async -n "$M" -subjects 5 -wait -timeout 120 \
  > "$JW_TMP/async" &
pg=$!
jwpub -i "$JW_INSTANCE" --tx 1 -s goonce.c -n "$M" --subjects 5 --wait --timeout 120 > "$JW_TMP/c" &
pc=$!
wait "$pg" || { cat "$JW_TMP/async"; fail "Go AsyncPublisher: failed or missing reports"; }
wait "$pc" || { cat "$JW_TMP/c"; fail "C jwpub: failed or missing reports"; }
cat "$JW_TMP/async" "$JW_TMP/c"
grep -q "^reports: $M acked (0 duplicate, 0 dup-risk), 0 failed, 0 missing" "$JW_TMP/async" ||
  fail "Go AsyncPublisher: not all acked"
grep -q "^reports: $M acked" "$JW_TMP/c" || fail "C jwpub: not all acked"
jwjs verify GOONCE $((N + 2 * M)) || fail "stream count after Go and C together"
jwjs check GOONCE goonce.async "$M" || fail "Go AsyncPublisher's messages"
jwjs check GOONCE goonce.c "$M" || fail "C jwpub's messages"
jwgopub -i "$JW_INSTANCE" -s goonce.hdr -n 5000 -H 'X-Go: yes' -H 'Order: 7' -wait -timeout 60 \
  > "$JW_TMP/hdr" || { cat "$JW_TMP/hdr"; fail "Go PublishMsg: failed or missing reports"; }
grep -q "^reports: 5000 acked" "$JW_TMP/hdr" || fail "Go PublishMsg: not all acked"
jwjs check GOONCE goonce.hdr 5000 -H 'X-Go: yes' -H 'Order: 7' || fail "Go PublishMsg's headers"
engine_stop
grep "engine: sent" "$JW_LOG"
[ "$(engine_counter acked)" -eq $((N + 2 * M + 5000)) ] || fail "engine acked count"
echo "PASS: $N from Go Publish, then $M from Go AsyncPublisher beside $M from C, 5000 with headers, stored exactly once"
