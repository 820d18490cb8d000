#!/usr/bin/env bash
# stats against the real engine: jetwire on the reference network, jwpub publishing a known
# run, jwstat reading it back.
#   - the counters match the run exactly: N acked (and sent, accepted), M failed with reason
#     no_stream, nothing in flight at the end, N ack-latency samples (acks only); one connection,
#     established, with a window; TX and control lcores; the producer slots seen;
#   - --json parses, --prom passes prom_check.py;
#   - /jetwire/set changes the window bounds and the engine applies them (the connection's
#     window stays within the new bounds while publishing); a bad set changes nothing;
#   - jwstat and garbage on the socket while publishing do not disturb the run.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
N=20000
M=25
PROM_CHECK="$JW_ROOT/tests/integration/prom_check.py"
JWSTAT="$JW_ROOT/build/jwstat"
PREFIX="jw-engine-$$"   # engine_start's EAL file prefix

engine_net_up
engine_stream JWSTATS 'st.>'
engine_start 1 --set flow.window_min=4 --set flow.window_max=256 --set flow.window_start=48
trap 'engine_cleanup' EXIT

stats_json() { "$JWSTAT" --prefix "$PREFIX" --json --once; }
field() { # python expression over j -> printed
  stats_json | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

echo "== before publishing"
stats_json > "$JW_TMP/s0.json"
python3 -m json.tool "$JW_TMP/s0.json" > /dev/null || fail "--json does not parse"
python3 - "$JW_TMP/s0.json" <<'PY' || fail "initial state"
import json, sys
j = json.load(open(sys.argv[1]))
s = j['stats']
assert s['accepted'] == s['sent'] == s['acked'] == s['failed_total'] == 0, s
roles = sorted(v['role'] for v in j['lcores'].values())
assert 'tx' in roles and 'control' in roles, roles
# [cores] sched_batch = auto (the default), idle: the engine's lcores run SCHED_OTHER
assert all(v['sched_batch'] == 0 for v in j['lcores'].values() if v['role'] in ('tx', 'control')), j['lcores']
c = list(j['conns'].values())
assert len(c) == 1 and c[0]['server'] == '198.18.0.1:4222', c
assert c[0]['js_window'] == 48, c  # [flow] window_start: the startup's first round
assert j['tunables']['window_min'] == 4 and j['tunables']['window_max'] == 256, j['tunables']
assert j['info']['instance'].startswith('jwt'), j['info']
print('ok idle: zero counters, tx and control lcores, one connection to 198.18.0.1:4222, '
      'window at window_start')
PY

echo "== a known run: $N acked, then $M to a subject no stream captures"
# garbage and readers on the socket while the run goes on
python3 - "/var/run/dpdk/$PREFIX/dpdk_telemetry.v2" > "$JW_TMP/garbage.log" 2>&1 <<'PY' &
import socket, sys, time
end = time.time() + 3
junk = [b'/jetwire/set,window_max=abc', b'\xff' * 2000, b'/jetwire/stats,x', b'/nope',
        b'/jetwire/set,window_min=999999', b'/jetwire/latency']
i = 0
while time.time() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    s.connect(sys.argv[1]); s.recv(4096)
    for r in junk:
        s.send(r); s.recv(1 << 16); i += 1
    s.close()
print('garbage requests sent:', i)
PY
gpid=$!
"$JWSTAT" --prefix "$PREFIX" --json --interval 0.2 --count 10 > "$JW_TMP/live.json" &
lpid=$!
jwpub -i "$JW_INSTANCE" -s st.a -n "$N" --subjects 3 --wait --timeout 60 > "$JW_TMP/pub" \
  || { cat "$JW_TMP/pub"; fail "publish"; }
grep -q "^reports: $N acked" "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "not all acked"; }
wait "$gpid" || fail "garbage client"
wait "$lpid" || fail "live jwstat"
cat "$JW_TMP/garbage.log"
python3 -m json.tool --json-lines "$JW_TMP/live.json" > /dev/null || fail "live --json lines"
rc=0; jwpub -i "$JW_INSTANCE" -s nostream.x -n "$M" --wait --timeout 30 > "$JW_TMP/pub2" || rc=$?
[ "$rc" -ne 0 ] || fail "publishing to no stream should report failures"

# the control lcore counts an outcome as it reports it: wait until the totals settle
for _ in $(seq 50); do
  [ "$(field "j['stats']['acked'] + j['stats']['failed_total']")" -eq $((N + M)) ] && break
  sleep 0.1
done
stats_json > "$JW_TMP/s1.json"
python3 - "$JW_TMP/s1.json" "$N" "$M" <<'PY' || fail "counters differ from the known run"
import json, sys
j = json.load(open(sys.argv[1])); n = int(sys.argv[2]); m = int(sys.argv[3])
s = j['stats']
want = dict(accepted=n + m, sent=n + m, acked=n, failed_total=m, in_flight=0, resends=0,
            duplicate=0)
bad = {k: (s[k], v) for k, v in want.items() if s[k] != v}
assert not bad, bad
assert s['failed']['no_stream'] == m, s['failed']
assert s['bytes'] == (n + m) * 128, s['bytes']
assert s['wire_bytes'] > s['bytes'], s
a = j['latency']['ack_latency_ns']
# acks only; every ack takes at least one round trip, so no percentile can be 0
assert a['count'] == n and 0 < a['p50'] <= a['p99'] <= a['max'], a
tx = [v for v in j['lcores'].values() if v['role'] == 'tx']
assert sum(v['sent'] for v in tx) == n + m and all(v['loops'] > 0 for v in tx), tx
c = list(j['conns'].values())[0]
assert c['state'] and c['js_window'] >= 1 and c['js_inflight'] == 0, c
assert c['cwnd_bytes'] > 0 and c['srtt_us'] > 0, c
print(f"ok exact: accepted/sent {n + m}, acked {n}, failed no_stream {m}, in flight 0, "
      f"ack p50 {a['p50']} ns p99 {a['p99']} ns, window {c['js_window']}, "
      f"stats errors counted {s['telemetry_errors']}")
PY
[ "$(field "j['stats']['telemetry_errors'] > 0")" = True ] || fail "garbage not counted"

echo "== --prom"
"$JWSTAT" --prefix "$PREFIX" --prom --once > "$JW_TMP/prom.txt"
python3 "$PROM_CHECK" "$JW_TMP/prom.txt" || fail "--prom format"
grep -qx "jetwire_messages_acked_total $N" "$JW_TMP/prom.txt" || fail "--prom acked"
grep -qx "jetwire_messages_failed_total{reason=\"no_stream\"} $M" "$JW_TMP/prom.txt" \
  || fail "--prom no_stream"
echo "ok --prom ($(grep -c '^jetwire_' "$JW_TMP/prom.txt") samples)"

echo "== /jetwire/set narrows the window; the engine applies it"
dt() { echo "$1" | dpdk-telemetry.py -f "$PREFIX" 2>/dev/null | tr -d '\n'; }
out=$(dt /jetwire/set,window_max=0)
echo "$out" | grep -q '"error"' || fail "window_max=0 accepted: $out"
out=$(dt /jetwire/set,window_min=2,window_max=8)
echo "$out" | grep -q '"applied"' || fail "set rejected: $out"
# the control lcore picks the new set up at its next housekeeping pass
for _ in $(seq 50); do
  [ "$(field "list(j['conns'].values())[0]['js_window']")" -le 8 ] && break
  sleep 0.1
done
jwpub -i "$JW_INSTANCE" -s st.b -n 5000 --wait --timeout 60 > "$JW_TMP/pub3" &
ppid=$!
maxw=0
for _ in $(seq 15); do
  w=$(field "list(j['conns'].values())[0]['js_window']")
  [ "$w" -gt "$maxw" ] && maxw=$w
  sleep 0.1
done
wait "$ppid" || fail "publish after set"
[ "$maxw" -le 8 ] || fail "window $maxw above the new window_max 8"
w=$(field "list(j['conns'].values())[0]['js_window']")
[ "$w" -ge 2 ] && [ "$w" -le 8 ] || fail "window $w outside 2..8"
echo "ok window stayed within 2..8 (largest seen $maxw, now $w)"

jwjs verify JWSTATS $((N + 5000)) || fail "stream count"
engine_stop
echo "PASS: stats of a real run match it exactly; --json/--prom valid; tunables applied"
