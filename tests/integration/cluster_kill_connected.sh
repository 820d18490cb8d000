#!/usr/bin/env bash
# Failover: on the reference cluster (three nodes, an R3 file stream), jetwire publishes over
# two connections that start on different nodes; the node connection 0 is on is SIGKILLed
# mid-run. The connection moves to another node, every live publish is resent with its
# Msg-Id: every message acked, reported exactly once, stored exactly once and in order;
# the failover is counted; the node restarts and the stream holds the same count.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
source "$(dirname "$0")/lib-cluster.bash"
N=40000
cluster_up
cluster_stream JWFO 'fo.>'
engine_start 2 "${JW_TWO_TX[@]}" --set "nats.servers=$CL_ALL"
n0=$(conn_node 0); n1=$(conn_node 1)
[ -n "$n0" ] && [ -n "$n1" ] || fail "connections have no server"
[ "$n0" != "$n1" ] || fail "both connections started on n$n0"
echo "connection 0 on n$n0, connection 1 on n$n1"
pub_start fo.a "$N"
sleep 1.5
testnet node-kill "$n0"
moved=$(wait_moved 0 "$n0")
echo "connection 0 moved to n$moved"
pub_wait_acked "$N"
cjs check JWFO fo.a "$N" || fail "stored messages"
fo=$(jw_json "sum(c['failovers'] for c in j['conns'].values())")
[ "$fo" -ge 1 ] || fail "no failover counted ($fo)"
jw_json "j['info']['servers']"
"$JWSTAT_BIN" --prefix "jw-engine-$$" --prom --once > "$JW_TMP/prom.txt"
python3 "$JW_ROOT/tests/integration/prom_check.py" "$JW_TMP/prom.txt" || fail "--prom format"
grep -E '^jetwire_conn_failovers_total\{.*\} [1-9]' "$JW_TMP/prom.txt" || fail "no failover in --prom"
testnet node-start "$n0"
cjs verify JWFO "$N" || fail "stream count after the node came back"
engine_stop
jwjs_cluster_rm
grep "engine: sent" "$JW_LOG"
echo "PASS: SIGKILL of the connected node n$n0: moved to n$moved, $fo failover(s), $N messages acked and stored exactly once, in order"
