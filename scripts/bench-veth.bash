# A second client path for the stock clients, like jetwire's (sourced by tests/bench/engine
# and tests/bench/burst): netns jw-bcli, veth jwb0 (198.18.2.2) <-> jwb1 (198.18.2.1, in
# jw-srv), 1500-byte frames, checksum offload, TSO/GSO/GRO off on both ends as on jwv0/jwv1;
# the server's 198.18.0.1 is reached through jwb1 (a local address of jw-srv: no forwarding
# involved). Needs the reference network up (netns jw-srv). Nothing leaves 198.18.2.0/24.
VNS=jw-bcli
VETH_SRV_IF=jwb1
veth_up() {
  veth_down
  ip netns add "$VNS" || return 1
  ip link add jwb0 netns "$VNS" type veth peer name jwb1 netns jw-srv || return 1
  ip netns exec "$VNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$VNS" ip link set lo up
  ip netns exec "$VNS" ip addr add 198.18.2.2/24 dev jwb0
  ip netns exec jw-srv ip addr add 198.18.2.1/24 dev jwb1
  ip netns exec "$VNS" ethtool -K jwb0 rx off tx off tso off gso off gro off >/dev/null 2>&1
  ip netns exec jw-srv ethtool -K jwb1 rx off tx off tso off gso off gro off >/dev/null 2>&1
  ip netns exec "$VNS" ip link set jwb0 up
  ip netns exec jw-srv ip link set jwb1 up
  ip netns exec "$VNS" ip route add 198.18.0.1/32 via 198.18.2.1 dev jwb0
}
veth_down() {
  ip netns del "$VNS" 2>/dev/null
  ip netns exec jw-srv ip link del jwb1 2>/dev/null
  return 0
}
