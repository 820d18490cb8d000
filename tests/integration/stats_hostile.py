#!/usr/bin/env python3
"""Hostile clients against a DPDK telemetry v2 socket serving /jetwire/ commands.

usage: stats_hostile.py SOCKET_PATH
Sends oversized, malformed, binary and hostile requests, opens more clients at once than
DPDK allows, and checks after each step that a fresh client still gets correct answers.
Prints what it observed; exit 0 when the server stayed healthy and answered as documented.
"""
import json
import os
import socket
import sys

path = sys.argv[1]
failures = []


def connect(timeout=3.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    greeting = s.recv(4096)
    return s, greeting


def ask(s, req):
    s.send(req)
    return s.recv(1 << 20)


def query(cmd):
    s, g = connect()
    try:
        return json.loads(ask(s, cmd.encode()))
    finally:
        s.close()


def expect(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def healthy(step):
    r = query('/jetwire/stats')['/jetwire/stats']
    expect(r['accepted'] == 1000 and r['acked'] == 990, f'healthy after {step}')
    return r


base_errors = query('/jetwire/stats')['/jetwire/stats']['telemetry_errors']

# 1. one client, many bad requests on the same connection
s, g = connect()
greet = json.loads(g)
expect('max_output_len' in greet, 'greeting is JSON with max_output_len')
bad_for_us = [  # (request, must the reply carry "error"?)
    (b'/jetwire/stats,junk', True),
    (b'/jetwire/info,' + b'A' * 900, True),
    (b'/jetwire/set', True),
    (b'/jetwire/set,', True),
    (b'/jetwire/set,window_max=', True),
    (b'/jetwire/set,window_max=-1', True),
    (b'/jetwire/set,window_max=99999999999999999999999', True),
    (b'/jetwire/set,window_min=0', True),
    (b'/jetwire/set,window_min=5000,window_max=10', True),
    (b'/jetwire/set,window_max=1,window_max=2', True),
    (b'/jetwire/set,"},{"x":1', True),
    (b'/jetwire/set,\x01\x02\xff\xfe=1', True),
    (b'/jetwire/set,' + b'window_max=1,' * 70, True),
    (b'/jetwire/conns,%s%s%s%n', True),
]
for req, must_err in bad_for_us:
    raw = ask(s, req)
    try:
        reply = json.loads(raw)
    except ValueError:
        expect(False, f'reply to {req[:40]!r} is JSON: {raw[:80]!r}')
        continue
    val = list(reply.values())[0]
    expect(isinstance(val, dict) and 'error' in val,
           f'{req[:40]!r} -> error {str(val)[:90]}')
n_our_errors = len(bad_for_us)

# Requests DPDK itself handles before our code (unknown, oversized, binary, empty-ish).
dpdk_level = [
    b'/nonexistent', b'jetwire/stats', b'/', b',', b'\x00\x00\x00', bytes(range(256)),
    b'/jetwire/stats' + b'x' * 60, b'/' + b'a' * 200, b'{"cmd": "/jetwire/stats"}',
    b'/jetwire/stats\n', b'A' * 65000,
]
for req in dpdk_level:
    # DPDK 22.11 answers an unknown command by echoing it unescaped as the JSON key, so a
    # request holding quotes or control bytes gets invalid JSON back (only that client sees
    # it). We require some answer or a dropped connection, and a healthy server afterwards.
    try:
        raw = ask(s, req)
        try:
            json.loads(raw)
            note = 'JSON'
        except ValueError:
            note = 'not JSON (DPDK echoes the raw command)'
        print(f'note {req[:30]!r} ({len(req)} bytes) -> {note}: {raw[:60]!r}')
        expect(len(raw) > 0, f'{req[:30]!r} answered')
    except (socket.timeout, ConnectionError) as e:
        print(f'note {req[:30]!r}: connection {e.__class__.__name__}; reconnecting')
        s.close()
        s, g = connect()
s.close()
healthy('bad requests')
errors = query('/jetwire/stats')['/jetwire/stats']['telemetry_errors']
expect(errors - base_errors == n_our_errors,
       f'telemetry_errors counted {errors - base_errors} of {n_our_errors} rejected requests')
tun = query('/jetwire/tunables')['/jetwire/tunables']
expect(tun['window_min'] == 16 and tun['window_max'] == 1024 and tun['updates_applied'] == 0,
       f'tunables untouched by rejected sets: {tun}')

# 2. a valid change is applied and visible; then restored
r = query('/jetwire/set,window_max=2048 ack_timeout_ms=1500')['/jetwire/set']
expect(r.get('result') == 'applied' and r['window_max'] == 2048 and r['ack_timeout_ms'] == 1500,
       f'valid set applied: {r}')
r = query('/jetwire/set,window_max=1024,ack_timeout_ms=2000')['/jetwire/set']
expect(r.get('tunables_generation') == 3, f'generation counts changes: {r}')

# 3. more clients at once than DPDK's limit; idle clients that never send
clients, greeted, refused = [], 0, 0
for i in range(25):
    try:
        c, g = connect(timeout=1.0)
        if g:
            greeted += 1
            clients.append(c)
        else:
            refused += 1
            c.close()
    except (socket.timeout, ConnectionError, OSError):
        refused += 1
print(f'note: 25 concurrent clients: {greeted} served, {refused} refused by DPDK')
expect(0 < greeted <= 10, f'DPDK limits concurrent clients ({greeted} <= 10 served)')
for c in clients:  # every admitted client still gets a correct answer
    v = json.loads(ask(c, b'/jetwire/stats'))['/jetwire/stats']
    if v['sent'] != 1000:
        expect(False, 'admitted concurrent client got correct stats')
        break
for c in clients:
    c.close()
clients = []
# slots are released when clients disconnect (DPDK counts down in the client thread)
import time
for attempt in range(50):
    try:
        healthy('25 concurrent clients')
        break
    except (socket.timeout, ConnectionError, OSError, ValueError):
        time.sleep(0.1)
else:
    expect(False, 'a new client is served after the concurrent clients left')

# 4. connect-and-close storm
for i in range(200):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(path)
    c.close()
for attempt in range(50):
    try:
        healthy('200 connect/close')
        break
    except (socket.timeout, ConnectionError, OSError, ValueError):
        time.sleep(0.1)
else:
    expect(False, 'served after connect/close storm')

print(f'{len(failures)} failures')
sys.exit(1 if failures else 0)
