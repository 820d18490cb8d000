#!/usr/bin/env bash
# The reference test network (root only).
#
#   scripts/testnet.sh up              create it (idempotent), return once nats-server answers
#                                      (a running cluster is taken down first)
#   scripts/testnet.sh up cluster      three clustered nodes n1..n3 with JetStream at
#                                      198.18.0.1, .3, .4 (port 4222, routes on 6222, a store
#                                      each); returns once the JetStream meta leader exists
#                                      (a running single server is taken down first)
#   scripts/testnet.sh node-kill N     SIGKILL cluster node N (1..3)
#   scripts/testnet.sh node-start N    start node N again on its store; returns once it answers
#   scripts/testnet.sh node-ldm N      put node N into lame-duck mode (nats-server --signal ldm)
#   scripts/testnet.sh leader          print the name of the JetStream meta leader (n1..n3)
#   scripts/testnet.sh down            remove everything `up` made (idempotent)
#   scripts/testnet.sh server-restart  SIGKILL nats-server, start it again on the same store
#                                      (JW_SERVER_CPUS=LIST: born on those CPUs, so GOMAXPROCS
#                                      matches them; the benchmarks pin it so)
#   scripts/testnet.sh server-stop     SIGKILL nats-server and leave it down
#   scripts/testnet.sh server-start    start nats-server (on the existing store) if it is down
#   scripts/testnet.sh status          print the state (each node's pid and state in cluster
#                                      mode); exit 0 only if up and answering
#
# Topology (DESIGN.md "Networking, tests and safety"):
#   netns jw-srv:  jwv1 = 198.18.0.1/24, nats-server -js on 198.18.0.1:4222
#                  (monitoring on 198.18.0.1:8222), no route but the connected /24
#   root netns:    jwv0, the other veth end, for DPDK net_af_packet; the kernel must neither
#                  answer nor forward on it: no address, IPv6 off, forwarding off, ARP off,
#                  arp_ignore=8, strict rp_filter (a frame for one of the root's own addresses
#                  that arrives on jwv0 is dropped, because there is no route back over jwv0).
#   jetwire is 198.18.0.2 behind jwv0.
# Nothing here can leave the host: jw-srv has no default route and jwv0 does not forward.
#
# Offloads: the kernel in jw-srv would hand jwv1 TCP segments with partial checksums and
# GSO super-frames, which a userspace stack reading jwv0 through AF_PACKET would see as
# corrupt or oversized. So checksum offload, TSO/GSO and GRO are off on both veth ends.
#
# State lives in /run/jetwire-testnet/: `store` (path of the JetStream store, a temp dir),
# `nats.pid`, `nats.log`, `nats.conf`; in cluster mode `mode` holds "cluster" and node N has
# `nN.pid`, `nN.log`, `nN.conf` and the store's subdirectory nN. Every user must hold /run/jw-testnet.lock
# (flock /run/jw-testnet.lock scripts/testnet.sh up); the test runner already does.
set -euo pipefail

NS=jw-srv
SRV_IF=jwv1
DP_IF=jwv0
SRV_ADDR=198.18.0.1
PREFIX=24
NATS_PORT=4222
MON_PORT=8222
STATE=/run/jetwire-testnet
UP_TIMEOUT_S=${TESTNET_UP_TIMEOUT_S:-20}
NODE_ADDRS=(198.18.0.1 198.18.0.3 198.18.0.4)
ROUTE_PORT=6222

die() { echo "testnet: $*" >&2; exit 1; }
log() { echo "testnet: $*" >&2; }
nsx() { ip netns exec "$NS" "$@"; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root"; }

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$NS"; }

server_pid() { # prints the live server's pid or nothing
  local pid
  [ -f "$STATE/nats.pid" ] || return 0
  pid=$(cat "$STATE/nats.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && \
    grep -q nats-server "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  return 0
}

# The server answers when its client port sends INFO and its health endpoint says ok
# (JetStream included).
server_answers() {
  ns_exists || return 1
  nsx timeout 2 bash -c "exec 3<>/dev/tcp/$SRV_ADDR/$NATS_PORT && head -c 4 <&3" \
    2>/dev/null | grep -q INFO || return 1
  nsx timeout 2 curl -sf "http://$SRV_ADDR:$MON_PORT/healthz?js-enabled-only=true" \
    >/dev/null 2>&1
}

make_link() {
  ns_exists || ip netns add "$NS"
  if ! ip link show "$DP_IF" >/dev/null 2>&1; then
    # A stale jwv1 inside the namespace would make the create fail; remove it first.
    nsx ip link del "$SRV_IF" 2>/dev/null || true
    ip link add "$DP_IF" type veth peer name "$SRV_IF" netns "$NS"
  fi
  # Root side: silence the kernel on jwv0 before it is up.
  sysctl -qw "net.ipv6.conf.$DP_IF.disable_ipv6=1"
  sysctl -qw "net.ipv4.conf.$DP_IF.forwarding=0"
  sysctl -qw "net.ipv4.conf.$DP_IF.rp_filter=1"
  sysctl -qw "net.ipv4.conf.$DP_IF.arp_ignore=8"
  sysctl -qw "net.ipv4.conf.$DP_IF.accept_local=0"
  ip addr flush dev "$DP_IF"
  ip link set "$DP_IF" arp off
  ethtool -K "$DP_IF" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip link set "$DP_IF" up
  # Server side.
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  nsx sysctl -qw net.ipv4.ip_forward=0
  nsx ip link set lo up
  nsx ip addr replace "$SRV_ADDR/$PREFIX" dev "$SRV_IF"
  nsx ethtool -K "$SRV_IF" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
  nsx ip link set "$SRV_IF" up
}

write_server_conf() {
  local store=$1
  cat > "$STATE/nats.conf" <<EOF
# written by scripts/testnet.sh
host: $SRV_ADDR
port: $NATS_PORT
http: "$SRV_ADDR:$MON_PORT"
server_name: jw-testnet
jetstream {
  store_dir: "$store"
  max_memory_store: 512MB
  max_file_store: 2GB
}
EOF
}

start_server() {
  local store
  [ -n "$(server_pid)" ] && return 0
  store=$(cat "$STATE/store")
  [ -d "$store" ] || die "store $store is gone; run down then up"
  rm -f "$STATE/nats.pid"
  # The server must not inherit our descriptors beyond 0-2: the caller's
  # flock(/run/jw-testnet.lock) descriptor would otherwise stay locked for the server's life.
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    # JW_SERVER_CPUS (benchmarks): born on those CPUs, so that the Go runtime sizes
    # GOMAXPROCS to them; pinned after its start it would keep one P per host CPU and its
    # threads would time-share the one CPU it is given.
    pin=()
    [ -n "${JW_SERVER_CPUS:-}" ] && pin=(taskset -c "$JW_SERVER_CPUS")
    exec ip netns exec "$NS" setsid "${pin[@]}" nats-server -c "$STATE/nats.conf" \
      >>"$STATE/nats.log" 2>&1 < /dev/null
  ) &
  echo $! > "$STATE/nats.pid"
}

wait_server() {
  local deadline=$(( $(date +%s) + UP_TIMEOUT_S ))
  until server_answers; do
    # the recorded pid, not server_pid: until its exec the starting subshell's command line
    # does not name nats-server yet (a loaded host showed that window)
    if ! kill -0 "$(cat "$STATE/nats.pid" 2>/dev/null)" 2>/dev/null; then
      tail -20 "$STATE/nats.log" >&2 || true
      die "nats-server exited (log: $STATE/nats.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "nats-server did not answer within ${UP_TIMEOUT_S}s"
    sleep 0.1
  done
}

kill_server() {
  local pid
  pid=$(server_pid)
  if [ -n "$pid" ]; then
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$STATE/nats.pid"
}

# --- cluster mode ------------------------------------------------------------------------

is_cluster() { [ "$(cat "$STATE/mode" 2>/dev/null || true)" = cluster ]; }

node_addr() { echo "${NODE_ADDRS[$(( $1 - 1 ))]}"; }

node_pid() { # N: prints node N's live pid or nothing
  local pid
  [ -f "$STATE/n$1.pid" ] || return 0
  pid=$(cat "$STATE/n$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && \
    grep -q nats-server "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  return 0
}

node_answers() { # N
  local a
  a=$(node_addr "$1")
  ns_exists || return 1
  nsx timeout 2 bash -c "exec 3<>/dev/tcp/$a/$NATS_PORT && head -c 4 <&3" \
    2>/dev/null | grep -q INFO
}

write_node_conf() { # N store
  local n=$1 a routes="" i
  a=$(node_addr "$n")
  for i in 1 2 3; do routes+="    nats-route://$(node_addr "$i"):$ROUTE_PORT"$'\n'; done
  mkdir -p "$2/n$n"
  cat > "$STATE/n$n.conf" <<EOF
# written by scripts/testnet.sh (cluster node n$n)
server_name: n$n
host: $a
port: $NATS_PORT
http: "$a:$MON_PORT"
jetstream {
  store_dir: "$2/n$n"
  max_memory_store: 256MB
  max_file_store: 1GB
}
cluster {
  name: jwc
  host: $a
  port: $ROUTE_PORT
  routes: [
$routes  ]
}
lame_duck_duration: "30s"
lame_duck_grace_period: "1s"
EOF
}

start_node() { # N
  local n=$1
  [ -n "$(node_pid "$n")" ] && return 0
  rm -f "$STATE/n$n.pid"
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec ip netns exec "$NS" setsid nats-server -c "$STATE/n$n.conf" \
      >>"$STATE/n$n.log" 2>&1 < /dev/null
  ) &
  echo $! > "$STATE/n$n.pid"
}

wait_node() { # N
  local deadline=$(( $(date +%s) + UP_TIMEOUT_S ))
  until node_answers "$1"; do
    if ! kill -0 "$(cat "$STATE/n$1.pid" 2>/dev/null)" 2>/dev/null; then  # as wait_server
      tail -20 "$STATE/n$1.log" >&2 || true
      die "node n$1 exited (log: $STATE/n$1.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "node n$1 did not answer within ${UP_TIMEOUT_S}s"
    sleep 0.1
  done
}

kill_node() { # N
  local pid
  pid=$(node_pid "$1")
  if [ -n "$pid" ]; then
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$STATE/n$1.pid"
}

# The meta leader's name as some live node's /jsz sees it, or nothing.
meta_leader() {
  local n a l
  for n in 1 2 3; do
    [ -n "$(node_pid "$n")" ] || continue
    a=$(node_addr "$n")
    l=$(nsx timeout 2 curl -sf "http://$a:$MON_PORT/jsz" 2>/dev/null | tr -d ' \n' |
        sed -n 's/.*"meta_cluster":{[^}]*"leader":"\([^"]*\)".*/\1/p' | head -1)
    [ -n "$l" ] && { echo "$l"; return 0; }
  done
  return 0
}

wait_leader() {
  local deadline=$(( $(date +%s) + UP_TIMEOUT_S + 20 ))
  until [ -n "$(meta_leader)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "no JetStream meta leader within $((UP_TIMEOUT_S + 20))s"
    sleep 0.2
  done
}

cluster_addrs() { # add|del
  local a
  for a in "${NODE_ADDRS[@]:1}"; do
    if [ "$1" = add ]; then nsx ip addr replace "$a/$PREFIX" dev "$SRV_IF"
    else nsx ip addr del "$a/$PREFIX" dev "$SRV_IF" 2>/dev/null || true; fi
  done
}

remove_store() {
  if [ -f "$STATE/store" ]; then
    local store
    store=$(cat "$STATE/store")
    case "$store" in /tmp/jw-testnet-store.*) rm -rf "$store" ;; esac
    rm -f "$STATE/store"
  fi
}

cluster_teardown() { # nodes, their addresses and store; the link stays
  local n
  for n in 1 2 3; do kill_node "$n"; rm -f "$STATE/n$n.conf" "$STATE/n$n.log"; done
  ns_exists && cluster_addrs del
  remove_store
  rm -f "$STATE/mode"
}

cmd_up_cluster() {
  local n store
  need_root
  command -v nats-server >/dev/null || die "nats-server not installed (scripts/deps.sh)"
  mkdir -p "$STATE"
  if ! is_cluster; then  # a single server (or nothing): replace it
    kill_server
    remove_store
    rm -f "$STATE/nats.conf" "$STATE/nats.log"
  fi
  make_link
  cluster_addrs add
  if [ ! -f "$STATE/store" ] || [ ! -d "$(cat "$STATE/store")" ]; then
    mktemp -d /tmp/jw-testnet-store.XXXXXX > "$STATE/store"
  fi
  echo cluster > "$STATE/mode"
  store=$(cat "$STATE/store")
  for n in 1 2 3; do write_node_conf "$n" "$store"; start_node "$n"; done
  for n in 1 2 3; do wait_node "$n"; done
  wait_leader
  log "up cluster: n1 $(node_addr 1), n2 $(node_addr 2), n3 $(node_addr 3) port $NATS_PORT, meta leader $(meta_leader)"
}

need_cluster() { is_cluster && ns_exists || die "the cluster is not up (testnet.sh up cluster)"; }
node_arg() { case "${1:-}" in 1|2|3) ;; *) die "node must be 1, 2 or 3" ;; esac; }

cmd_node_kill() { need_root; need_cluster; node_arg "$1"; kill_node "$1"; log "node n$1 killed"; }
cmd_node_start() {
  need_root; need_cluster; node_arg "$1"
  start_node "$1"; wait_node "$1"; log "node n$1 started (pid $(node_pid "$1"))"
}
cmd_node_ldm() {
  local pid
  need_root; need_cluster; node_arg "$1"
  pid=$(node_pid "$1")
  [ -n "$pid" ] || die "node n$1 is not running"
  nats-server --signal "ldm=$pid" || die "cannot signal node n$1"
  log "node n$1 (pid $pid) entering lame-duck mode"
}

cluster_status() {
  local ok=0 n pid
  for n in 1 2 3; do
    pid=$(node_pid "$n")
    if [ -z "$pid" ]; then echo "n$n $(node_addr "$n"):$NATS_PORT: down"; ok=1
    elif node_answers "$n"; then echo "n$n $(node_addr "$n"):$NATS_PORT: pid $pid, answering"
    else echo "n$n $(node_addr "$n"):$NATS_PORT: pid $pid, not answering"; ok=1; fi
  done
  echo "meta leader: $(meta_leader)"
  return $ok
}

cmd_up() {
  need_root
  if is_cluster; then cluster_teardown; log "cluster taken down for the single server"; fi
  command -v nats-server >/dev/null || die "nats-server not installed (scripts/deps.sh)"
  mkdir -p "$STATE"
  make_link
  if [ ! -f "$STATE/store" ] || [ ! -d "$(cat "$STATE/store")" ]; then
    mktemp -d /tmp/jw-testnet-store.XXXXXX > "$STATE/store"
  fi
  write_server_conf "$(cat "$STATE/store")"
  start_server
  wait_server
  log "up: $NS/$SRV_IF $SRV_ADDR/$PREFIX, nats://$SRV_ADDR:$NATS_PORT (pid $(server_pid)), $DP_IF ready for DPDK"
}

cmd_down() {
  need_root
  kill_server
  for n in 1 2 3; do kill_node "$n"; done
  if ns_exists; then
    # Anything else still running in the namespace was started for the test network.
    local p
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$NS"
  fi
  ip link del "$DP_IF" 2>/dev/null || true
  if [ -f "$STATE/store" ]; then
    local store
    store=$(cat "$STATE/store")
    case "$store" in /tmp/jw-testnet-store.*) rm -rf "$store" ;; esac
  fi
  rm -rf "$STATE"
  log "down"
}

cmd_server_restart() {
  need_root
  [ -f "$STATE/store" ] && ns_exists || die "not up"
  kill_server
  start_server
  wait_server
  log "server restarted (pid $(server_pid))"
}

cmd_server_stop() {
  need_root
  kill_server
  log "server stopped"
}

cmd_server_start() {
  need_root
  [ -f "$STATE/store" ] && ns_exists || die "not up"
  start_server
  wait_server
  log "server started (pid $(server_pid))"
}

cmd_status() {
  local ok=0
  if ns_exists; then echo "netns $NS: present"; else echo "netns $NS: absent"; ok=1; fi
  if ip link show "$DP_IF" >/dev/null 2>&1; then echo "$DP_IF: present"; else echo "$DP_IF: absent"; ok=1; fi
  if is_cluster; then
    echo "mode: cluster"
    cluster_status || ok=1
    [ -f "$STATE/store" ] && echo "store: $(cat "$STATE/store")"
    return $ok
  fi
  if [ -n "$(server_pid)" ]; then echo "nats-server: pid $(server_pid)"; else echo "nats-server: not running"; ok=1; fi
  [ -f "$STATE/store" ] && echo "store: $(cat "$STATE/store")"
  if server_answers; then echo "nats://$SRV_ADDR:$NATS_PORT: answering"; else echo "nats://$SRV_ADDR:$NATS_PORT: not answering"; ok=1; fi
  return $ok
}

case "${1:-}" in
  up) if [ "${2:-}" = cluster ]; then cmd_up_cluster; elif [ -z "${2:-}" ]; then cmd_up;
      else echo "usage: $0 up [cluster]" >&2; exit 2; fi ;;
  node-kill) cmd_node_kill "${2:-}" ;;
  node-start) cmd_node_start "${2:-}" ;;
  node-ldm) cmd_node_ldm "${2:-}" ;;
  leader) need_cluster; meta_leader ;;
  down) cmd_down ;;
  server-restart) cmd_server_restart ;;
  server-stop) cmd_server_stop ;;
  server-start) cmd_server_start ;;
  status) cmd_status ;;
  *) echo "usage: $0 up [cluster]|down|server-restart|server-stop|server-start|node-kill N|node-start N|node-ldm N|leader|status" >&2; exit 2 ;;
esac
