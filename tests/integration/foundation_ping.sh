#!/usr/bin/env bash
# jetwire on the reference network: it resolves 198.18.0.1's MAC by ARP, answers ARP for
# 198.18.0.2 and the kernel's pings from jw-srv, and exits 0 on SIGTERM after closing the
# port. (The runner holds /run/jw-testnet.lock.)
set -euo pipefail
source "$(dirname "$0")/lib-foundation.bash"
trap jw_cleanup EXIT
[ -x "$JW_BIN" ] || jw_fail "$JW_BIN not built"

jw_net_up
log=$(mktemp /tmp/jw-foundation-ping.XXXXXX)
jw_start "$log"
jw_wait_log "$log" "resolved 198\.18\.0\.1 is at [0-9A-F:]{17}" 20
srv_mac=$(ip netns exec jw-srv cat /sys/class/net/jwv1/address)
grep -qi "resolved 198.18.0.1 is at $srv_mac" "$log" || jw_fail "resolved MAC is not jwv1's ($srv_mac)"

# Forget 198.18.0.2 in jw-srv (it learned it from jetwire's request) so that its kernel
# must ask by ARP and jetwire must answer.
ip netns exec jw-srv ip neigh flush dev jwv1
out=$(ip netns exec jw-srv ping -c 5 -i 0.2 -W 2 198.18.0.2) || { echo "$out"; jw_fail "ping"; }
echo "$out"
echo "$out" | grep -q "5 packets transmitted, 5 received" || jw_fail "not every ping answered"
jw_mac=$(cat /sys/class/net/jwv0/address)
ip netns exec jw-srv ip neigh show 198.18.0.2 | grep -qi "$jw_mac" ||
  jw_fail "jw-srv did not learn 198.18.0.2 at $jw_mac by ARP"

jw_stop
cat "$log"
grep -q "echo requests 5 replies 5" "$log" || jw_fail "echo counters"
grep -qE "replies in [1-9][0-9]* out [1-9]" "$log" || jw_fail "ARP reply counters"
grep -q "port closed, exiting" "$log" || jw_fail "no clean port close"
rm -f "$log"
echo PASS
