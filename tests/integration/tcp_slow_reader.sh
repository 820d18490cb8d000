#!/usr/bin/env bash
# A reader slow enough to close the window, and that stops reading for longer than an RTO:
# the sender sees zero windows, probes them with one byte (persist timer), and every byte
# still arrives.
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=$((6 * 1024 * 1024))
start_sink 5103 --rcvbuf 65536 --rate 4000000 --stall-every 1048576 --stall-ms 700
run_sender 5103 $BYTES
wait_sink
check_transfer $BYTES
zw=$(stat_of zero_windows_in)
zwp=$(stat_of zero_window_probes)
[ "${zw:-0}" -gt 0 ] || fail "the window never closed (zero_windows_in=$zw)"
[ "${zwp:-0}" -gt 0 ] || fail "no zero-window probe (zero_window_probes=$zwp)"
echo "zero windows seen: $zw, probes: $zwp"
