#!/usr/bin/env bash
# Slow readers. 1) 192 MiB to a reader that stops for 700 ms (> the 200 ms RTO floor)
# after every 24 MiB: every byte arrives. 2) A reader with a 64 KiB buffer that reads at
# 4 MB/s and stops for 700 ms after every MiB, slow enough to close the window: the sender
# sees zero windows, probes them with one byte (persist timer), and every byte arrives.
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=$((192 * 1024 * 1024))
start_sink 5103 --stall-every $((24 * 1024 * 1024)) --stall-ms 700
run_sender 5103 $BYTES
wait_sink
check_transfer $BYTES

BYTES=$((6 * 1024 * 1024))
start_sink 5105 --rcvbuf 65536 --rate 4000000 --stall-every 1048576 --stall-ms 700
run_sender 5105 $BYTES
wait_sink
check_transfer $BYTES
zw=$(stat_of zero_windows_in)
zwp=$(stat_of zero_window_probes)
[ "${zw:-0}" -gt 0 ] || fail "the window never closed (zero_windows_in=$zw)"
[ "${zwp:-0}" -gt 0 ] || fail "no zero-window probe (zero_window_probes=$zwp)"
echo "zero windows seen: $zw, probes: $zwp"
