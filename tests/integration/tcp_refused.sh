#!/usr/bin/env bash
# Nobody listens: the kernel answers the SYN with RST and jwtcpsend reports a refusal.
source "$(dirname "$0")/tcp_common.bash"
need
run_sender 5199 1000
[ "$SEND_RC" -ne 0 ] || fail "jwtcpsend succeeded against a closed port"
grep -q '^failed: connection refused' "$WORK/send.out" || fail "refusal not reported"
echo OK
