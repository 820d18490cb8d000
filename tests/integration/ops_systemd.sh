#!/usr/bin/env bash
# The systemd side:
#   - `make install DESTDIR=...` puts the unit, the sysusers file, host-setup, docs and
#     example configurations in place and touches nothing outside DESTDIR; the installed
#     jetwire@.service passes `systemd-analyze verify` without a single warning; `make
#     uninstall DESTDIR=...` removes every file again;
#   - jetwire with NOTIFY_SOCKET at a test socket (tests/integration/notify_listen.py) and
#     WATCHDOG_USEC=1 s, two NATS connections: READY=1 once both are up, WATCHDOG=1 at least
#     every 0.5 s from the control lcore, STATUS= with acked/s while jwpub publishes,
#     RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 at SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib-engine.bash"
cd "$JW_ROOT"

echo "== make install / uninstall into DESTDIR"
D=$JW_TMP/root
make -s install DESTDIR="$D" PREFIX=/usr/local > "$JW_TMP/install.log" 2>&1 ||
  { cat "$JW_TMP/install.log"; fail "make install"; }
for f in usr/local/bin/jetwire usr/local/bin/jwstat usr/local/sbin/jetwire-host-setup \
         etc/systemd/system/jetwire@.service etc/sysusers.d/jetwire.conf \
         usr/local/share/jetwire/default.conf usr/local/share/jetwire/grafana-jetwire.json \
         usr/local/share/doc/jetwire/README.md usr/local/include/jetwire.h; do
  [ -e "$D/$f" ] || fail "make install did not install $f"
done
[ -d "$D/etc/jetwire" ] || fail "no /etc/jetwire"
getent passwd jetwire > /dev/null && echo "(user jetwire exists on this host already)"
U=$D/etc/systemd/system/jetwire@.service
grep -q '^ExecStart=/usr/local/bin/jetwire -c /etc/jetwire/%i.conf$' "$U" || fail "ExecStart"
grep -q '^Type=notify$' "$U" && grep -q '^Restart=on-failure$' "$U" && grep -q '^LimitMEMLOCK=' "$U" &&
  grep -q '^User=jetwire$' "$U" && grep -q '^WatchdogSec=' "$U" || fail "unit lacks a required setting"
# verify the installed unit with its binaries where DESTDIR put them
V=$JW_TMP/verify; mkdir -p "$V"
sed "s|/usr/local/|$D/usr/local/|g" "$U" > "$V/jetwire@demo.service"
systemd-analyze verify "$V/jetwire@demo.service" > "$V/out" 2>&1 || { cat "$V/out"; fail "systemd-analyze verify"; }
[ ! -s "$V/out" ] || { cat "$V/out"; fail "systemd-analyze verify warned"; }
echo "ok systemd-analyze verify: no warnings ($(systemd --version | head -1))"
systemd-sysusers --dry-run --root="$D" "$D/etc/sysusers.d/jetwire.conf" > "$V/sysusers" 2>&1 ||
  { cat "$V/sysusers"; fail "sysusers file"; }
grep -q 'jetwire' "$V/sysusers" || { cat "$V/sysusers"; fail "sysusers would create no user"; }
echo "ok sysusers: $(grep -c jetwire "$V/sysusers") line(s) about jetwire"
make -s uninstall DESTDIR="$D" PREFIX=/usr/local > "$JW_TMP/uninstall.log" 2>&1 ||
  { cat "$JW_TMP/uninstall.log"; fail "make uninstall"; }
left=$(find "$D" -type f -o -type l | wc -l)
[ "$left" -eq 0 ] || { find "$D" -type f -o -type l; fail "make uninstall left $left files"; }
echo "ok make uninstall removed every installed file"

echo "== sd_notify: READY, WATCHDOG, STATUS, RELOADING, STOPPING"
engine_net_up
engine_stream JWNOTIFY 'notify.>'
SOCK=$JW_TMP/notify.sock OUT=$JW_TMP/notify.txt
/usr/bin/python3 tests/integration/notify_listen.py "$SOCK" "$OUT" 40 &
lp=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000
engine_start 2 "${JW_TWO_TX[@]}"
unset NOTIFY_SOCKET WATCHDOG_USEC
for _ in $(seq 50); do grep -q 'READY=1' "$OUT" && break; sleep 0.1; done
# meanwhile jwstat --listen on this jetwire takes the hostile HTTP clients of ops_jwstat
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$JW_ROOT/build/jwstat" --prefix "jw-engine-$$" --prom --listen "127.0.0.1:$PORT" 2> "$JW_TMP/http.log" &
hp=$!
for _ in $(seq 50); do grep -q serving "$JW_TMP/http.log" && break; sleep 0.1; done
/usr/bin/python3 tests/integration/http_metrics.py 127.0.0.1 "$PORT" hostile > "$JW_TMP/hostile.log" 2>&1 &
hh=$!
jwpub -i "$JW_INSTANCE" -s notify.a -n 100000 --rate 50000 --wait --timeout 60 > "$JW_TMP/pub" ||
  { cat "$JW_TMP/pub"; fail "jwpub"; }
grep -q '^reports: 100000 acked' "$JW_TMP/pub" || { cat "$JW_TMP/pub"; fail "not every message acked"; }
wait "$hh" || { cat "$JW_TMP/hostile.log"; fail "hostile HTTP clients against a real jetwire"; }
tail -3 "$JW_TMP/hostile.log"
/usr/bin/python3 tests/integration/http_metrics.py 127.0.0.1 "$PORT" scrape |
  jq -e '.jetwire_up == 1 and .jetwire_messages_acked_total == 100000' > /dev/null ||
  fail "/metrics of the real jetwire after the attack"
kill "$hp"; wait "$hp" || fail "jwstat --listen exit"
echo "ok jetwire published 100,000 while jwstat --listen took the hostile clients; /metrics shows them acked"
sleep 1.2
kill -HUP "$JW_PID"
for _ in $(seq 50); do grep -q 'RELOADING=1' "$OUT" && break; sleep 0.1; done
sleep 0.5
engine_stop
sleep 0.3
kill "$lp" 2>/dev/null || true
cat "$OUT" | head -5; echo ...; grep -E 'READY|RELOAD|STOPPING' "$OUT"
grep 'jetwire: every NATS connection is up' "$JW_LOG" > /dev/null || fail "no READY log line"
/usr/bin/python3 - "$OUT" <<'PY' || fail "notifications"
import re, sys
lines = [l.rstrip('\n') for l in open(sys.argv[1]) if l[0].isdigit()]
ev = [(float(l.split(' ', 1)[0]), l.split(' ', 1)[1]) for l in lines]
ready = [(t, m) for t, m in ev if m.startswith('READY=1')]
assert ready, 'no READY=1'
t_ready, m_ready = ready[0]
assert '2/2 connections up' in m_ready, f'READY before both connections were up: {m_ready}'
wd = [t for t, m in ev if m == 'WATCHDOG=1']
assert len(wd) >= 6, f'{len(wd)} WATCHDOG=1'
gaps = [b - a for a, b in zip(wd, wd[1:])]
assert max(gaps) < 1.0, f'watchdog gap {max(gaps):.3f} s >= WATCHDOG_USEC'
rates = [float(m.split('STATUS=')[1].split(' acked/s')[0].split(': ')[-1])
         for t, m in ev if 'acked/s' in m]
assert max(rates) > 10000, f'STATUS never showed the publishing rate: {rates}'
rl = [i for i, (t, m) in enumerate(ev) if m.startswith('RELOADING=1')]
assert rl and any(m.startswith('READY=1') for t, m in ev[rl[0] + 1:]), 'no READY=1 after RELOADING=1'
stop = [i for i, (t, m) in enumerate(ev) if m.startswith('STOPPING=1')]
assert stop, 'no STOPPING=1'
print(f'ok READY=1 with both connections up, {len(wd)} WATCHDOG=1 (largest gap {max(gaps):.3f} s '
      f'for WATCHDOG_USEC 1 s), STATUS up to {max(rates):.0f} acked/s, RELOADING=1 -> READY=1, '
      f'STOPPING=1')
PY
echo "PASS ops_systemd"
