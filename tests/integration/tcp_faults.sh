#!/usr/bin/env bash
# 2% drop, duplication and reordering in both directions (the port's [fault] stage):
# the stream still arrives intact and the close completes.
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=$((256 * 1024 * 1024))
start_sink 5102
run_sender 5102 $BYTES \
  --set fault.tx_drop=0.02 --set fault.rx_drop=0.02 --set fault.tx_dup=0.02 \
  --set fault.rx_dup=0.02 --set fault.tx_reorder=0.02 --set fault.rx_reorder=0.02 \
  --set fault.seed=7
wait_sink
check_transfer $BYTES
rx=$(stat_of retransmits)
[ "${rx:-0}" -gt 0 ] || fail "no retransmissions: was the fault stage active?"
