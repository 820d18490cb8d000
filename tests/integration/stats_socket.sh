#!/usr/bin/env bash
# stats: the /jetwire/ telemetry commands and jwstat, end to end, against a small EAL process
# (tests/integration/stats_synth_eal.c) that serves a known synthetic run of counter updates:
#   - the counters jwstat shows match the known run exactly (table, --json, --prom);
#   - --json parses (python3 -m json.tool), --prom passes tests/integration/prom_check.py;
#   - the socket gets the configured mode and group; dpdk-telemetry.py can query it;
#   - garbage, oversized and hostile requests and 25 concurrent clients leave it healthy;
#   - a rejected /jetwire/set changes nothing, a valid one is applied through RCU while an
#     engine-like QSBR reader runs (the synthetic process exits non-zero if that reader ever
#     saw an invalid set).
# Needs root (EAL runtime dir in /var/run/dpdk). No network traffic.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build
[ -x $B/jwstat ] && [ -f $B/libjwcore.a ] || { echo "build first (make)"; exit 1; }
# The synthetic server is built with ASan+UBSan (leak check on) when `make asan` has run, so
# the telemetry handlers are checked under the hostile clients too.
LIB=$B/libjwcore.a SAN="-O2"
if [ -f build-asan/libjwcore.a ]; then
  LIB=build-asan/libjwcore.a SAN="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer"
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
mkdir -p $B/tests
SYNTH=$B/tests/stats_synth_eal
JWSTAT=$B/jwstat
[ -x build-asan/jwstat ] && JWSTAT=build-asan/jwstat
cc -std=gnu11 $SAN -g -Wall -Wextra -Werror -Wno-unused-parameter -Ilib/include -Ilib -D_GNU_SOURCE \
   $(pkg-config --cflags libdpdk liburcu-qsbr | sed 's/-I/-isystem /g') \
   -o $SYNTH tests/integration/stats_synth_eal.c tests/common/stats_workload.c \
   -Wl,--whole-archive $LIB -Wl,--no-whole-archive \
   $(make -s --no-print-directory print-ldlibs) -pthread

P=jw-stats-$$
TMP=$(mktemp -d)
FIFO=$TMP/stdin
mkfifo $FIFO
GROUP=adm; getent group $GROUP >/dev/null || GROUP=nogroup
SPID=
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
    sleep 1; kill "$SPID" 2>/dev/null || true
  fi
  rm -rf "$TMP" "/var/run/dpdk/$P"
}
trap cleanup EXIT

$SYNTH --no-huge --no-pci -l 0 -m 64 --file-prefix $P --log-level='jetwire.*:info' \
  -- --seconds 120 --set shm.instance=synth --set stats.socket_mode=0660 \
     --set stats.socket_group=$GROUP --set flow.window_min=16 --set flow.window_max=1024 \
     --set flow.ack_timeout_ms=2000 --set flow.ack_target_us=500 < $FIFO > $TMP/synth.log 2>&1 &
SPID=$!
exec 3> $FIFO
for i in $(seq 100); do grep -q READY $TMP/synth.log && break; sleep 0.1; done
grep -q READY $TMP/synth.log || { cat $TMP/synth.log; exit 1; }
SOCK=/var/run/dpdk/$P/dpdk_telemetry.v2
fail() { echo "FAIL: $*"; exit 1; }

echo "== socket permissions"
[ "$(stat -c %a $SOCK)" = 660 ] || fail "socket mode $(stat -c %a $SOCK)"
[ "$(stat -c %G $SOCK)" = $GROUP ] || fail "socket group $(stat -c %G $SOCK)"
[ "$(stat -c %a /var/run/dpdk/$P)" = 710 ] || fail "dir mode $(stat -c %a /var/run/dpdk/$P)"
echo "ok socket 660 group $GROUP, runtime dir 710"
if command -v setpriv > /dev/null; then
  # an unprivileged user in the group reads the stats; one outside it cannot connect
  chmod 755 $TMP; cp $B/jwstat $TMP/jwstat; chmod 755 $TMP/jwstat
  GID=$(getent group $GROUP | cut -d: -f3)
  setpriv --reuid=65534 --regid=$GID --clear-groups $TMP/jwstat --socket $SOCK --once \
    > /dev/null || fail "a member of group $GROUP cannot read the stats"
  if setpriv --reuid=65534 --regid=65534 --clear-groups $TMP/jwstat --socket $SOCK --once \
       > /dev/null 2> $TMP/denied.txt; then fail "a user outside $GROUP can read the stats"; fi
  grep -q 'Permission denied' $TMP/denied.txt || fail "outsider: $(cat $TMP/denied.txt)"
  echo "ok group member (uid 65534, gid $GID) reads; outsider gets: $(cat $TMP/denied.txt)"
fi

check_json() { # file
  python3 -m json.tool --json-lines "$1" > /dev/null || fail "--json output does not parse"
  python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    s = j['stats']
    want = dict(accepted=1000, sent=1000, acked=990, duplicate=7, failed_total=3, bytes=128000,
                wire_bytes=181100, resends=11, reconnects=2, published=1000, rejected_total=8,
                in_flight=7, producers=2)
    bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
    assert not bad, f'stats differ from the known run: {bad}'
    assert s['failed'] == dict(other=0, no_stream=1, js_error=0, timeout=2, bad_subject=0,
                               bad_header=0, too_big=0, corrupt=0, server_err=0,
                               shutdown=0), s['failed']
    assert s['rejected'] == dict(EAGAIN=7, E2BIG=1, code_4242=0), s['rejected']
    a = j['latency']['ack_latency_ns']
    assert (a['count'], a['min'], a['max'], a['sum']) == (990, 50000, 50989,
            sum(50000 + i for i in range(990))), a
    w = j['latency']['ring_wait_ns']
    assert (w['count'], w['p50'], w['p999'], w['max']) == (1000, 499, 999, 999), w
    l = j['lcores']
    assert l['1']['role'] == 'tx' and l['1']['accepted'] == 500 and l['2']['resends'] == 11
    assert l['1']['busy_cycles'] == 2500 and l['1']['idle_cycles'] == 2500
    assert l['1']['bursts'] == 7 and l['1']['mbufs_in_flight'] == 30
    assert l['3']['role'] == 'control' and l['3']['acked'] == 990
    assert l['1']['sched_batch'] == 0 and l['3']['sched_batch'] == 0, l  # its main thread's
    c = j['conns']
    assert sorted(c) == ['0', '1'] and c['1']['retransmits'] == 4 and c['0']['js_window'] == 256
    assert c['1']['retransmits_fast'] == 2 and c['1']['retransmits_rto'] == 1 and c['1']['retransmits_tlp'] == 1, c['1']
    assert c['0']['sack'] == 1 and c['0']['sack_blocks_in'] == 40 and c['0']['dsacks_in'] == 2, c['0']
    assert c['0']['spurious_undos'] == 1 and c['0']['pure_acks_out'] == 77 and c['0']['pacing_rate_bps'] == 125000000, c['0']
    p = j['producers']
    assert p['0']['pid'] == 4242 and p['0']['ring_used_bytes'] == 640 and p['3']['bad_records'] == 1 and p['0']['rejected_EAGAIN'] == 5 and p['3']['rejected_code_4242'] == 0 and p['3']['published'] == 400
    cf = j['config']
    assert cf['flow/window_max'] == '1024' and cf['flow/dedupe'] == 'msgid', cf
    assert cf['stats/socket_mode'] == '0660' and cf['shm/instance'] == 'synth', cf
    assert j['info']['note'] == 'has ?quotes? and a?tab', j['info']
    assert j['instance'] == 'synth' and j['info']['version'] == '0.1.0-test'
    assert j['rates']['interval_s'] > 0
print('ok --json parses and matches the known run exactly')
PY
}

echo "== jwstat --json"
$JWSTAT --prefix $P --json --once > $TMP/once.json
check_json $TMP/once.json
$JWSTAT --prefix $P --json --count 2 --interval 0.2 > $TMP/two.json
[ "$(wc -l < $TMP/two.json)" = 2 ] || fail "--count 2 gave $(wc -l < $TMP/two.json) lines"
check_json $TMP/two.json

echo "== jwstat --prom"
$JWSTAT --prefix $P --prom --once > $TMP/prom.txt
python3 tests/integration/prom_check.py $TMP/prom.txt || fail "--prom format"
for line in 'jetwire_messages_accepted_total 1000' 'jetwire_messages_acked_total 990' \
    'jetwire_messages_duplicate_total 7' 'jetwire_messages_failed_total{reason="timeout"} 2' \
    'jetwire_publish_rejected_total{code="EAGAIN"} 7' 'jetwire_sent_payload_bytes_total 128000' \
    'jetwire_ack_latency_seconds_count 990' 'jetwire_ring_wait_seconds{quantile="0.5"} 4.99e-07' \
    'jetwire_conn_retransmits_total{conn="1"} 4' 'jetwire_ack_timeout_seconds 2' \
    'jetwire_producer_rejected_total{slot="0",code="E2BIG"} 1' \
    'jetwire_producer_info{slot="0",pid="4242",state="owned"} 1' \
    'jetwire_producer_ring_used_bytes{slot="0"} 640' 'jetwire_producer_bad_records_total{slot="3"} 1' \
    'jetwire_lcore_bursts_total{lcore="1",role="tx"} 7' \
    'jetwire_lcore_sched_batch{lcore="1",role="tx"} 0'; do
  grep -qxF "$line" $TMP/prom.txt || fail "--prom lacks: $line"
done
echo "ok --prom passes the format check and carries the known values ($(grep -c '^jetwire_' $TMP/prom.txt) samples)"

echo "== jwstat table"
$JWSTAT --prefix $P --once > $TMP/table.txt
cat $TMP/table.txt
grep -qE '^total +1000 +1000 +990 +3 +11 +8 ' $TMP/table.txt || fail "table totals"
grep -qE '^1 +established +198\.18\.0\.1:4222 +14600 ' $TMP/table.txt || fail "table conn line"
grep -q 'p50 499ns' $TMP/table.txt || fail "table ring wait p50"

echo "== dpdk-telemetry.py compatibility"
if command -v dpdk-telemetry.py > /dev/null; then
  echo /jetwire/stats | dpdk-telemetry.py -f $P > $TMP/dt.txt 2>&1 || true
  grep -q '"accepted": 1000' $TMP/dt.txt || { cat $TMP/dt.txt; fail "dpdk-telemetry.py"; }
  echo "ok dpdk-telemetry.py queries /jetwire/stats"
fi

echo "== hostile clients"
python3 tests/integration/stats_hostile.py $SOCK || fail "hostile clients"

echo "== /jetwire/config shows a changed tunable at its current value"
echo /jetwire/set,window_max=3000 | dpdk-telemetry.py -f $P > /dev/null 2>&1
$JWSTAT --prefix $P --json --once | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["config"]["flow/window_max"] == "3000", j["config"]["flow/window_max"]
assert j["tunables"]["window_max"] == 3000 and j["tunables"]["tunables_generation"] == 4
print("ok config flow/window_max follows the tunable: 3000")' || fail "config overlay"
echo /jetwire/set,window_max=1024 | dpdk-telemetry.py -f $P > /dev/null 2>&1

echo "== counters unchanged after all of that"
$JWSTAT --prefix $P --json --once > $TMP/after.json
check_json $TMP/after.json

echo "== jwstat errors"
rc=0; $B/jwstat -i does-not-exist-$$ --once > /dev/null 2> $TMP/err.txt || rc=$?
[ $rc = 1 ] && grep -q 'connect' $TMP/err.txt || fail "missing instance: rc=$rc $(cat $TMP/err.txt)"
rc=0; $B/jwstat --json --prom 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "usage error rc=$rc"
rc=0; $B/jwstat --interval 0 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "bad interval rc=$rc"
echo "ok"

echo "== stop the synthetic process"
exec 3>&-
rc=0; wait $SPID || rc=$?
SPID=
cat $TMP/synth.log
[ $rc = 0 ] || fail "synthetic process exit $rc (engine-like reader saw an invalid tunables set?)"
grep -q 'tunables generation 3' $TMP/synth.log || fail "tunables changes not logged"
echo "PASS stats_socket"
