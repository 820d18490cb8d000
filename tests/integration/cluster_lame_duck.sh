#!/usr/bin/env bash
# Lame duck, make before break: on the reference cluster (R3 file stream), the node
# jetwire's connection is on enters lame-duck mode mid-run (nats-server --signal ldm). On its
# INFO ldm jetwire connects to another node at once (no reconnect backoff: counted) while
# the old connection keeps delivering its acks, and moves publishing; the move happens
# before that server closes the old connection (lame_duck_duration 30 s, so it closes it
# seconds later). Every session waits for the stream's first answer before it opens its
# window. Every message acked, reported once, stored once and in order.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
source "$(dirname "$0")/lib-cluster.bash"
N=40000
cluster_up
cluster_stream JWLDM 'ldm.>'
engine_start 1 --set "nats.servers=$CL_ALL"
n0=$(conn_node 0)
[ -n "$n0" ] || fail "connection 0 has no server"
waits0=$(jw_json "j['conns']['0']['backoff_waits']")
echo "connection 0 on n$n0 (backoff waits so far: $waits0)"
pub_start ldm.a "$N"
sleep 1.5
testnet node-ldm "$n0"
moved=$(wait_moved 0 "$n0")
echo "connection 0 moved to n$moved"
pub_wait_acked "$N"
moves=$(jw_json "j['conns']['0']['ldm_moves']")
waits=$(jw_json "j['conns']['0']['backoff_waits']")
[ "$moves" -ge 1 ] || fail "no lame-duck move counted"
[ "$waits" -eq "$waits0" ] || fail "the move waited a backoff ($waits0 -> $waits)"
engine_stop
grep "engine:\|lame-duck" "$JW_LOG"
# make before break: the new connection was ready before the old server closed the old one
l_ldm=$(grep -n "entered lame-duck mode" "$JW_LOG" | head -1 | cut -d: -f1)
l_ready=$(grep -n "ready (NATS session up) on nats://${CL_ADDRS[$((moved - 1))]}" "$JW_LOG" | head -1 | cut -d: -f1)
l_end=$(grep -n "the lame-duck connection ended" "$JW_LOG" | head -1 | cut -d: -f1)
[ -n "$l_ldm" ] && [ -n "$l_ready" ] && [ -n "$l_end" ] || fail "lame-duck log lines missing"
[ "$l_ldm" -lt "$l_ready" ] && [ "$l_ready" -lt "$l_end" ] ||
  fail "not make before break: ldm line $l_ldm, new ready line $l_ready, old closed line $l_end"
# every session on the cluster sent one publish and waited for the stream's answer before it
# opened the window (a node that has not learnt the stream's interest yet would answer it 503
# while later ones are stored: out of order)
readies=$(grep -c "ready (NATS session up)" "$JW_LOG")
answers=$(grep -c "first answer from the stream after" "$JW_LOG")
[ "$readies" -ge 2 ] && [ "$answers" -eq "$readies" ] ||
  fail "first-answer gate: $readies sessions, $answers first answers"
grep -q "waited for the stream's first answer $answers" "$JW_LOG" || fail "first-answer count"
# each session's gate opened after that session was ready: an answer that the cluster
# delivered to the new subscription for what the old connection sent opens nothing
order=$(grep -o "ready (NATS session up)\|first answer from the stream" "$JW_LOG" |
  sed 's/^ready.*/R/; s/^first.*/A/' | tr -d '\n')
[[ "$order" =~ ^(RA)+$ ]] || fail "a first-answer gate opened before its session was ready: $order"
grep "first answer from the stream" "$JW_LOG"
! grep "first answer from the stream" "$JW_LOG" | grep -vq "([01] new publishes taken" ||
  fail "more than one new publish went out before the stream's first answer"
drained=$(sed -n 's/.*acks read from lame-duck connections: \([0-9]*\).*/\1/p' "$JW_LOG" | tail -1)
echo "acks delivered by the lame-duck connection after the move: $drained"
cjs check JWLDM ldm.a "$N" || fail "stored messages"
testnet node-kill "$n0"; testnet node-start "$n0"
jwjs_cluster_rm
echo "PASS: lame duck of n$n0: moved to n$moved before it closed us ($moves move, no backoff), $N messages acked and stored exactly once, in order"
