# Helpers of the cluster integration scripts (sourced after lib-engine.bash): the reference
# cluster (scripts/testnet.sh up cluster: n1 198.18.0.1, n2 198.18.0.3, n3 198.18.0.4), an
# R3 file stream, the node a connection is on, the stream's leader, jwstat fields.

CL_ADDRS=(198.18.0.1 198.18.0.3 198.18.0.4)
CL_ALL=nats://198.18.0.1:4222,nats://198.18.0.3:4222,nats://198.18.0.4:4222
JWSTAT_BIN=$JW_ROOT/build/jwstat

cluster_up() { "$JW_ROOT/scripts/testnet.sh" up cluster || fail "reference cluster"; }
testnet() { "$JW_ROOT/scripts/testnet.sh" "$@"; }
# jwjs against the cluster; errors of its own (exit 2: connect, consumer create timing out
# while the cluster settles after a kill) are retried, a failed check (exit 1) is not.
cjs() {
  local rc
  for _ in $(seq 10); do
    rc=0; jwjs -s "$CL_ALL" "$@" || rc=$?
    [ "$rc" -ne 2 ] && return "$rc"
    sleep 1
  done
  return "$rc"
}

cluster_stream() { # name subject: an R3 file stream
  JW_STREAMS+=("$1")
  local i
  for i in $(seq 20); do
    cjs add "$1" "$2" --file --replicas 3 && return 0
    sleep 0.5   # the meta leader may still be settling
  done
  fail "cannot create R3 stream $1"
}
# lib-engine's cleanup removes streams through the single server's URL: use the cluster's
jwjs_cluster_rm() { local s; for s in "${JW_STREAMS[@]}"; do cjs rm "$s" >/dev/null 2>&1 || true; done; JW_STREAMS=(); }

node_of_ip() { # a.b.c.d -> 1..3
  local i
  for i in 0 1 2; do [ "${CL_ADDRS[$i]}" = "$1" ] && { echo $((i + 1)); return 0; }; done
  return 1
}

# The node connection k is on now (from /jetwire/conns), or nothing.
conn_node() { # k
  local srv
  srv=$(jw_json "j['conns']['$1']['server']") || return 0
  [ "$srv" = "-" ] && return 0
  node_of_ip "${srv%%:*}" || true
}

# One jwstat --json sample's field (python expression over j).
jw_json() { # expr
  "$JWSTAT_BIN" --prefix "jw-engine-$$" --json --once 2>/dev/null |
    python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

stream_leader() { # name -> n1..n3
  cjs info "$1" | sed -n 's/.*, leader \(n[0-9]\).*/\1/p'
}

# Waits until connection k is ready on a node other than $2 (up to 30 s); prints it.
wait_moved() { # k old-node
  local n
  for _ in $(seq 300); do
    n=$(conn_node "$1")
    [ -n "$n" ] && [ "$n" != "$2" ] &&
      [ "$(jw_json "j['conns']['$1']['state']")" = ready ] && { echo "$n"; return 0; }
    sleep 0.1
  done
  fail "connection $1 did not move off n$2"
}
