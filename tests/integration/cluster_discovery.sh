#!/usr/bin/env bash
# Discovery: jetwire configured with only n1 of the reference cluster. With discover = no it
# knows only n1. With discovery on (the default) INFO connect_urls add n2 and n3
# (/jetwire/info lists them as discovered); n1 is SIGKILLed mid-run and jetwire continues on
# n2 or n3: every message acked, reported once, stored once and in order. n1, a configured
# seed, stays in the list while it is down; the other discovered node is killed too and
# dropped from the list (the cluster's INFO update no longer names it), and discovered
# again when it restarts.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
source "$(dirname "$0")/lib-cluster.bash"
N=30000
cluster_up
cluster_stream JWDISC 'disc.>'
servers_json() { jw_json "' | '.join(j['info']['servers'])"; }

engine_start 1 --set "nats.servers=nats://198.18.0.1:4222" --set nats.discover=no
sleep 0.5
list=$(servers_json); echo "discover = no: $list"
[ "$(jw_json "len(j['info']['servers'])")" -eq 1 ] || fail "discover = no added servers: $list"
engine_stop

engine_start 1 --set "nats.servers=nats://198.18.0.1:4222"
for _ in $(seq 50); do
  [ "$(jw_json "len(j['info']['servers'])")" -eq 3 ] && break
  sleep 0.1
done
list=$(servers_json); echo "discovery: $list"
grep -q "198.18.0.3:4222 discovered" <<<"$list" && grep -q "198.18.0.4:4222 discovered" <<<"$list" ||
  fail "n2 and n3 not discovered: $list"
[ "$(conn_node 0)" = 1 ] || fail "connection 0 not on n1"
pub_start disc.a "$N"
sleep 1
testnet node-kill 1
moved=$(wait_moved 0 1)
echo "connection 0 moved to n$moved"
pub_wait_acked "$N"
list=$(servers_json); echo "after the kill: $list"
grep -q "198.18.0.1:4222 configured" <<<"$list" || fail "the configured seed was dropped: $list"
# a discovered server that leaves the cluster (and carries no connection) is dropped
gone=$(( moved == 2 ? 3 : 2 ))
testnet node-kill "$gone"
for _ in $(seq 100); do
  grep -q "${CL_ADDRS[$((gone - 1))]}:4222" <<<"$(servers_json)" || break
  sleep 0.1
done
list=$(servers_json); echo "after n$gone left: $list"
grep -q "${CL_ADDRS[$((gone - 1))]}:4222" <<<"$list" && fail "n$gone (discovered, gone) still listed"
grep -q "198.18.0.1:4222 configured" <<<"$list" || fail "the configured seed was dropped: $list"
testnet node-start "$gone"
for _ in $(seq 100); do
  grep -q "${CL_ADDRS[$((gone - 1))]}:4222" <<<"$(servers_json)" && break
  sleep 0.1
done
list=$(servers_json); echo "after n$gone came back: $list"
grep -q "${CL_ADDRS[$((gone - 1))]}:4222 discovered" <<<"$list" || fail "n$gone not discovered again"
engine_stop
grep "engine: sent\|discovered\|left the cluster" "$JW_LOG"
cjs check JWDISC disc.a "$N" || fail "stored messages"
testnet node-start 1
jwjs_cluster_rm
echo "PASS: discovery: only n1 configured, n2 and n3 discovered, n1 killed, continued on n$moved; $N messages acked and stored exactly once, in order"
