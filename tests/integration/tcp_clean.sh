#!/usr/bin/env bash
# jwtcpsend -> Linux kernel sink on a clean link: hundreds of MiB arrive intact.
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=$((512 * 1024 * 1024))
start_sink 5101
run_sender 5101 $BYTES
wait_sink
check_transfer $BYTES
