#!/usr/bin/env bash
# The stream leader dies while jetwire is connected elsewhere: on the reference cluster with
# an R3 file stream, jetwire's one connection is on a node that does not lead the stream;
# the leader is SIGKILLed mid-run. JetStream elects a new leader; publishes without an ack
# meanwhile time out and are resent with their Msg-Id: every message acked, reported and
# stored exactly once, in order; the connection stays where it was.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
source "$(dirname "$0")/lib-cluster.bash"
N=30000
cluster_up
cluster_stream JWLD 'ld.>'
leader=$(stream_leader JWLD)
[ -n "$leader" ] || fail "stream JWLD has no leader"
L=${leader#n}
# connection 0 starts on the first configured server: a node that is not the leader
first=$(( L % 3 + 1 ))
servers=nats://${CL_ADDRS[$((first - 1))]}:4222
for n in 1 2 3; do [ "$n" -ne "$first" ] && servers+=",nats://${CL_ADDRS[$((n - 1))]}:4222"; done
engine_start 1 --set "nats.servers=$servers"
c0=$(conn_node 0)
[ "$c0" = "$first" ] || fail "connection 0 on n$c0, expected n$first"
echo "stream leader n$L, connection 0 on n$c0"
pub_start ld.a "$N"
sleep 1
testnet node-kill "$L"
pub_wait_acked "$N"
[ "$(conn_node 0)" = "$c0" ] || fail "connection 0 moved although its node lived"
engine_stop
grep "engine:" "$JW_LOG"
cjs info JWLD
cjs check JWLD ld.a "$N" || fail "stored messages"
testnet node-start "$L"
cjs verify JWLD "$N" || fail "stream count after the old leader came back"
jwjs_cluster_rm
grep "engine: sent" "$JW_LOG"
echo "PASS: SIGKILL of stream leader n$L (connected to n$c0): $N messages acked and stored exactly once, in order"
