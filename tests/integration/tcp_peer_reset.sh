#!/usr/bin/env bash
# The peer resets the connection mid-stream: jwtcpsend reports "reset by peer", fails.
source "$(dirname "$0")/tcp_common.bash"
need
start_sink 5104 --reset-after 1048576
run_sender 5104 $((256 * 1024 * 1024))
wait_sink
[ "$SEND_RC" -ne 0 ] || fail "jwtcpsend succeeded although the peer reset"
grep -q '^failed: reset by peer' "$WORK/send.out" || fail "reset not reported"
echo OK
