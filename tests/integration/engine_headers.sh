#!/usr/bin/env bash
# Headers given with jwpub -H arrive in JetStream beside jetwire's Nats-Msg-Id, in both
# dedupe modes.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=2000
engine_net_up
engine_stream JWHDR 'hdr.>'
engine_start 1
jwpub -i "$JW_INSTANCE" -s hdr.msgid -n "$N" --subjects 3 -H 'X-Jw-Test: hello world' \
  -H 'X-Second: 2' --wait --timeout 30 || fail "publish with headers"
jwjs check JWHDR hdr.msgid "$N" -H 'X-Jw-Test: hello world' -H 'X-Second: 2' \
  || fail "headers did not arrive"
engine_stop
# dedupe=off: no Msg-Id of ours, the caller's headers still arrive
engine_start 1 --set flow.dedupe=off
jwpub -i "$JW_INSTANCE" -s hdr.off -n "$N" -H 'X-Jw-Test: plain' --wait --timeout 30 \
  || fail "publish with headers, dedupe off"
jwjs check JWHDR hdr.off "$N" -H 'X-Jw-Test: plain' || fail "headers did not arrive (off)"
engine_stop
jwjs verify JWHDR $((2 * N)) || fail "stream count"
echo "PASS: caller headers arrive"
