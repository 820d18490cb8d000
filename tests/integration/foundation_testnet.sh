#!/usr/bin/env bash
# scripts/testnet.sh: `up` builds the namespace, the veth pair with the kernel silenced on
# jwv0, and a JetStream server that answers; `up` again changes nothing; `server-restart`
# keeps the store (a file stream survives); `down` removes everything. Leaves the network
# up if it was up before. (The runner holds /run/jw-testnet.lock.)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$ROOT/scripts/testnet.sh
was_up=0; $T status >/dev/null 2>&1 && was_up=1
fail() { echo "FAIL: $*" >&2; exit 1; }
finish() { if [ $was_up -eq 1 ]; then $T up >/dev/null 2>&1; else $T down >/dev/null 2>&1; fi; }
trap finish EXIT

$T down
ip netns list | grep -qw jw-srv && fail "down left the namespace"
ip link show jwv0 >/dev/null 2>&1 && fail "down left jwv0"
[ -e /run/jetwire-testnet ] && fail "down left /run/jetwire-testnet"

$T up
store=$(cat /run/jetwire-testnet/store)
pid=$(cat /run/jetwire-testnet/nats.pid)
[ -d "$store" ] || fail "no store dir"
[ -z "$(ip -4 addr show dev jwv0 | grep inet)" ] || fail "jwv0 has an IPv4 address"
[ "$(sysctl -n net.ipv4.conf.jwv0.forwarding)" = 0 ] || fail "forwarding on jwv0"
[ "$(sysctl -n net.ipv6.conf.jwv0.disable_ipv6)" = 1 ] || fail "IPv6 on jwv0"
ip link show jwv0 | grep -q NOARP || fail "ARP on jwv0"
ip netns exec jw-srv ip -4 addr show dev jwv1 | grep -q "198.18.0.1/24" || fail "jwv1 address"
[ -z "$(ip netns exec jw-srv ip route show default)" ] || fail "jw-srv has a default route"
$T status

# idempotent: same server, same store
$T up
[ "$(cat /run/jetwire-testnet/nats.pid)" = "$pid" ] || fail "second up restarted the server"
[ "$(cat /run/jetwire-testnet/store)" = "$store" ] || fail "second up changed the store"

# a file-backed stream, created over the client protocol, survives server-restart
ip netns exec jw-srv python3 - <<'PY'
import socket, sys
s = socket.create_connection(("198.18.0.1", 4222), timeout=5)
cfg = b'{"name":"TESTNET","subjects":["testnet.>"],"storage":"file"}'
s.sendall(b'CONNECT {"verbose":false}\r\nSUB r 1\r\nPUB $JS.API.STREAM.CREATE.TESTNET r %d\r\n%s\r\n'
          % (len(cfg), cfg))
buf = b""
while b"MSG r 1" not in buf or not buf.endswith(b"\r\n") or buf.count(b"\r\n") < 3:
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("connection closed: %r" % buf)
    buf += chunk
if b'"error"' in buf:
    sys.exit("stream create failed: %r" % buf)
PY
streams() { ip netns exec jw-srv curl -sf "http://198.18.0.1:8222/jsz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["streams"])'; }
[ "$(streams)" = 1 ] || fail "stream not created"
$T server-restart
[ "$(cat /run/jetwire-testnet/nats.pid)" != "$pid" ] || fail "server-restart kept the old pid"
kill -0 "$pid" 2>/dev/null && fail "old server still alive"
[ "$(streams)" = 1 ] || fail "stream lost across server-restart"

$T down
[ -d "$store" ] && fail "down left the store $store"
ip netns list | grep -qw jw-srv && fail "down left the namespace"
echo PASS
