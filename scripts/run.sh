#!/usr/bin/env bash
# `make run` (initial version, foundation): bring up the reference network, start jetwire
# on dpdk-config/default.conf, let the kernel in jw-srv ping 198.18.0.2 and show the
# answers, then stop jetwire (SIGTERM) and tear the network down.
# The engine replaces this with the full publishing run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run: needs root (network namespaces, AF_PACKET)" >&2; exit 1; }
exec 9>/run/jw-testnet.lock
flock 9
log=$(mktemp /tmp/jw-run.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  scripts/testnet.sh down >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

# Everything below must not inherit the lock descriptor beyond this script.
scripts/testnet.sh up 9>&-
build/jetwire -c dpdk-config/default.conf --set "eal.file_prefix=jw-run-$$" > "$log" 2>&1 9>&- &
pid=$!
for _ in $(seq 200); do
  grep -q "resolved 198.18.0.1" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "run: jetwire exited" >&2; exit 1; }
  sleep 0.1
done
grep -v '^EAL:' "$log" | sed 's/^/  | /'
echo "run: the kernel in netns jw-srv pings jetwire at 198.18.0.2:"
ip netns exec jw-srv ping -c 5 -i 0.2 198.18.0.2
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
echo "run: jetwire exited with status $rc:"
grep -v '^EAL:' "$log" | tail -4 | sed 's/^/  | /'
exit $rc
