#!/usr/bin/env bash
# A loss-free but jittery path: jwtcpsend -> kernel sink while two busy loops compete for
# both CPUs (the lcores, the sink and the kernel get descheduled at random). Nothing is
# lost, so no RTO may fire (its timer waits for the control lcore to have polled past it,
# and Eifel would undo one that the data proves spurious); retransmissions and undos are
# reported. 64 MiB, sha256 checked.
source "$(dirname "$0")/tcp_common.bash"
need
BYTES=$((64 * 1024 * 1024))
HOGS=()
stop_hogs() { for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; HOGS=(); }
trap 'stop_hogs; cleanup' EXIT
for _ in 1 2; do timeout 120 sh -c 'while :; do :; done' & HOGS+=($!); done
start_sink 5110
run_sender 5110 $BYTES
wait_sink
stop_hogs
check_transfer $BYTES
rto=$(stat_of rto_expiries); rtx=$(stat_of retransmits); undo=$(stat_of spurious_undos)
echo "jittery path: retransmits $rtx, rto_expiries $rto, spurious_undos $undo, rto_held $(stat_of rto_held)"
[ "${rto:-1}" -eq 0 ] || fail "$rto RTO expiries on a loss-free path"
