#!/usr/bin/env bash
# The port's fault-injection stage, end to end with the kernel in jw-srv as the peer:
#   [fault] tx_dup = 1   every echo reply leaves twice: ping counts each as a duplicate;
#   [fault] rx_drop = 1  nothing jetwire receives survives: no reply at all;
#   [fault] tx_reorder = 1 with a 2-packet ping burst: replies still all arrive (the held
#                        packet is released when the queue is idle, never stranded).
set -euo pipefail
source "$(dirname "$0")/lib-foundation.bash"
trap jw_cleanup EXIT
[ -x "$JW_BIN" ] || jw_fail "$JW_BIN not built"
jw_net_up

log=$(mktemp /tmp/jw-foundation-fault.XXXXXX)
jw_start "$log" --set fault.tx_dup=1 --set fault.seed=7
jw_wait_log "$log" "resolved 198\.18\.0\.1 is at" 20
out=$(ip netns exec jw-srv ping -c 3 -i 0.3 -W 2 198.18.0.2 || true)
echo "$out"
# ping stops at the third reply, so the third duplicate may arrive after it exited.
echo "$out" | grep -qE "3 received, \+[23] duplicates" || jw_fail "tx_dup=1 did not duplicate each reply"
jw_stop
grep -q "fault stage: .*tx dropped 0 dup [1-9]" "$log" || { cat "$log"; jw_fail "tx dup counter"; }

jw_start "$log" --set fault.rx_drop=1
jw_wait_log "$log" "control lcore" 20
ip netns exec jw-srv ip neigh flush dev jwv1
out=$(ip netns exec jw-srv ping -c 2 -i 0.3 -W 1 198.18.0.2 || true)
echo "$out"
echo "$out" | grep -q " 0 received" || jw_fail "rx_drop=1 let a packet through"
jw_stop
grep -q "fault stage: rx dropped [1-9]" "$log" || { cat "$log"; jw_fail "rx drop counter"; }

jw_start "$log" --set fault.tx_reorder=1
jw_wait_log "$log" "resolved 198\.18\.0\.1 is at" 20
out=$(ip netns exec jw-srv ping -c 4 -i 0.2 -W 2 198.18.0.2 || true)
echo "$out"
echo "$out" | grep -q "4 received" || jw_fail "tx_reorder=1 lost replies"
jw_stop
grep -q "fault stage: .*tx dropped 0 dup 0 reordered [1-9]" "$log" || { cat "$log"; jw_fail "reorder counter"; }
rm -f "$log"
echo PASS
