#!/usr/bin/env bash
# Operations, command line and Prometheus over HTTP, against the small EAL process of
# stats_socket.sh (a known synthetic run; no network, no reference network needed):
#   - jetwire --help names every option and the configuration reference; --version;
#   - jwstat --json / --prom print one sample and exit; --interval/--count give more;
#     the table stays a live view on a terminal;
#   - jwstat --prom --listen serves /metrics: parsed by prometheus_client, the known counts;
#     bad requests (405/404/400/431), slowloris, 100 parallel connections leave it and the
#     instance working (tests/integration/http_metrics.py);
#   - the Grafana dashboard is valid JSON and asks only for metrics jwstat exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build
[ -x $B/jwstat ] && [ -x $B/jetwire ] && [ -f $B/libjwcore.a ] || { echo "build first (make)"; exit 1; }
PY=/usr/bin/python3   # Debian's, which has python3-prometheus-client
# the HTTP server runs under ASan+UBSan (leak check at exit) when `make asan` has run
HTTPD=$B/jwstat
[ -x build-asan/jwstat ] && HTTPD=build-asan/jwstat
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail() { echo "FAIL: $*"; exit 1; }

echo "== jetwire --help / --version"
$B/jetwire --help > /tmp/jw-help.$$ || fail "--help exit status"
for o in --config --set --check --dump-config --help --version; do
  grep -q -- "$o" /tmp/jw-help.$$ || fail "--help does not mention $o"
done
for sec in eal port net nats cores flow shm fault stats tcp engine; do
  grep -q "\[$sec\]" /tmp/jw-help.$$ || fail "--help does not list [$sec]"
done
grep -q 'README.md, "Configuration files"' /tmp/jw-help.$$ || fail "--help: no pointer to the reference"
grep -q '^### Configuration files' README.md || fail "README lost the section --help points to"
rm -f /tmp/jw-help.$$
$B/jetwire --version | grep -qE '^jetwire [0-9]+\.[0-9]+.* \(DPDK [0-9]+\.[0-9]+' || fail "--version: $($B/jetwire --version)"
rc=0; $B/jetwire --bogus 2>/dev/null || rc=$?; [ $rc = 2 ] || fail "unknown option rc=$rc"
echo "ok: $($B/jetwire --version)"

echo "== the synthetic instance"
mkdir -p $B/tests
SYNTH=$B/tests/stats_synth_eal
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ilib/include -Ilib -D_GNU_SOURCE \
   $(pkg-config --cflags libdpdk liburcu-qsbr | sed 's/-I/-isystem /g') \
   -o $SYNTH.ops tests/integration/stats_synth_eal.c tests/common/stats_workload.c \
   -Wl,--whole-archive $B/libjwcore.a -Wl,--no-whole-archive \
   $(make -s --no-print-directory print-ldlibs) -pthread
P=jw-ops-$$
TMP=$(mktemp -d)
SPID= HPID=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$HPID" ] && kill "$HPID" 2>/dev/null || true
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
  sleep 0.2
  rm -rf "$TMP" "/var/run/dpdk/$P" "$SYNTH.ops"
}
trap cleanup EXIT
mkfifo $TMP/stdin
$SYNTH.ops --no-huge --no-pci -l 0 -m 64 --file-prefix $P -- --seconds 120 \
  --set shm.instance=synth --set flow.window_max=1024 < $TMP/stdin > $TMP/synth.log 2>&1 &
SPID=$!
exec 3> $TMP/stdin
for _ in $(seq 100); do grep -q READY $TMP/synth.log && break; sleep 0.1; done
grep -q READY $TMP/synth.log || { cat $TMP/synth.log; fail "synthetic instance"; }

echo "== jwstat: one sample for scripts, live table on a terminal"
timeout 10 $B/jwstat --prefix $P --json > $TMP/one.json || fail "--json did not exit by itself"
[ "$(wc -l < $TMP/one.json)" = 1 ] || fail "--json printed $(wc -l < $TMP/one.json) lines"
[ "$(jq .stats.acked $TMP/one.json)" = 990 ] || fail "jwstat --json | jq .stats.acked"
timeout 10 $B/jwstat --prefix $P --prom > $TMP/one.prom || fail "--prom did not exit by itself"
[ "$(grep -c '^# TYPE jetwire_messages_acked_total ' $TMP/one.prom)" = 1 ] || fail "--prom: not one sample"
timeout 10 $B/jwstat --prefix $P --json --count 3 --interval 0.1 > $TMP/three.json
[ "$(wc -l < $TMP/three.json)" = 3 ] || fail "--count 3"
rc=0; timeout 1 $B/jwstat --prefix $P --json --interval 0.2 > $TMP/live.json || rc=$?
[ $rc = 124 ] || fail "--interval without --count should keep sampling (rc $rc)"
[ "$(wc -l < $TMP/live.json)" -ge 2 ] || fail "--interval: $(wc -l < $TMP/live.json) samples"
rc=0; script -qec "timeout 1.5 $B/jwstat --prefix $P" /dev/null > $TMP/tty.txt || rc=$?
[ $rc = 124 ] || fail "the table on a terminal should stay live (rc $rc)"
[ "$(grep -c 'jetwire' $TMP/tty.txt)" -ge 2 ] || fail "the live table redrew less than twice"
rc=0; $B/jwstat --json --listen 9 2>/dev/null || rc=$?; [ $rc = 2 ] || fail "--listen needs --prom"
rc=0; $B/jwstat --prom --listen 127.0.0.1:99999 2>/dev/null || rc=$?; [ $rc = 1 ] || fail "bad port rc=$rc"
echo "ok --json/--prom: one sample and exit; --interval/--count: more; table: live on a tty"

echo "== jwstat --prom --listen"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$HTTPD --prefix $P --prom --listen 127.0.0.1:$PORT 2> $TMP/http.log 3>&- &  # not a writer of the fifo: closing fd 3 must end the instance
HPID=$!
for _ in $(seq 50); do grep -q serving $TMP/http.log && break; sleep 0.1; done
$PY tests/integration/http_metrics.py 127.0.0.1 $PORT scrape > $TMP/m.json || fail "scrape"
$PY - $TMP/m.json <<'PY' || fail "scraped values"
import json, sys
m = json.load(open(sys.argv[1]))
want = {'jetwire_up': 1, 'jetwire_messages_acked_total': 990, 'jetwire_messages_accepted_total': 1000,
        'jetwire_messages_failed_total{reason=timeout}': 2, 'jetwire_ack_latency_seconds_count': 990,
        'jetwire_conn_retransmits_total{conn=1}': 4, 'jetwire_producer_ring_used_bytes{slot=0}': 640}
bad = {k: (m.get(k), v) for k, v in want.items() if m.get(k) != v}
assert not bad, bad
print(f'ok /metrics parsed by prometheus_client: {len(m)} samples, the known values')
PY
$PY tests/integration/http_metrics.py 127.0.0.1 $PORT hostile || fail "hostile clients"
kill -0 $HPID || fail "jwstat died"
kill -0 $SPID || fail "the instance died"
$B/jwstat --prefix $P --json | jq -e '.stats.acked == 990' > /dev/null || fail "instance after the attack"
echo "== the instance restarts: the first scrape after it is up again"
exec 3>&-; wait $SPID || true; SPID=
$SYNTH.ops --no-huge --no-pci -l 0 -m 64 --file-prefix $P -- --seconds 120 \
  --set shm.instance=synth --set flow.window_max=1024 < $TMP/stdin > $TMP/synth2.log 2>&1 &
SPID=$!
exec 3> $TMP/stdin
for _ in $(seq 100); do grep -q READY $TMP/synth2.log && break; sleep 0.1; done
$PY tests/integration/http_metrics.py 127.0.0.1 $PORT scrape |
  tee $TMP/after-restart.json | jq -e ".jetwire_up == 1 and .jetwire_exporter_scrape_errors_total == 0 and .jetwire_uptime_seconds < 30" > /dev/null ||
  { jq -c "{up: .jetwire_up, err: .jetwire_exporter_scrape_errors_total, uptime: .jetwire_uptime_seconds}" $TMP/after-restart.json; cat $TMP/http.log; fail "first scrape after the restart"; }
echo "ok the kept telemetry connection was stale; the scrape reconnected and was up"
kill $HPID; rc=0; wait $HPID || rc=$?; HPID=
[ $rc = 0 ] || { cat $TMP/http.log; fail "jwstat --listen exit $rc on SIGTERM"; }
echo "ok jwstat --listen stopped cleanly on SIGTERM"

echo "== instance gone: jetwire_up 0, the server keeps answering"
$HTTPD --socket $TMP/nothing.sock --prom --listen 127.0.0.1:$PORT 2> $TMP/http2.log 3>&- &
HPID=$!
for _ in $(seq 50); do grep -q serving $TMP/http2.log && break; sleep 0.1; done
$PY tests/integration/http_metrics.py 127.0.0.1 $PORT scrape | jq -e '.jetwire_up == 0 and .jetwire_exporter_scrape_errors_total == 1' > /dev/null || fail "jetwire_up 0"
kill $HPID; rc=0; wait $HPID || rc=$?; HPID=
[ $rc = 0 ] || { cat $TMP/http2.log; fail "jwstat --listen (no instance) exit $rc"; }
echo "ok jetwire_up 0 when the instance cannot be read"

echo "== Grafana dashboard"
DASH=dpdk-config/grafana-jetwire.json
$PY - $DASH $TMP/one.prom <<'PY' || fail "dashboard"
import json, re, sys
d = json.load(open(sys.argv[1]))
exported = set(re.findall(r'^# TYPE (\S+) ', open(sys.argv[2]).read(), re.M))
exported |= {n + s for n in list(exported) for s in ('_sum', '_count')}
exported |= {'jetwire_up'}
panels = d['panels']
titles = [p['title'] for p in panels]
for need in ('Acked', 'In flight', 'Window', 'Ack latency', 'Ring fill', 'Retransmits', 'Reconnects'):
    assert any(need.lower() in t.lower() for t in titles), f'no panel for {need}: {titles}'
used = set()
for p in panels:
    for t in p.get('targets', []):
        used |= set(re.findall(r'\bjetwire_[a-z_]+', t['expr']))
missing = used - exported
assert not missing, f'dashboard uses metrics jwstat does not export: {missing}'
print(f'ok {sys.argv[1]}: {len(panels)} panels, {len(used)} metrics, all exported')
PY
echo "PASS ops_jwstat"
