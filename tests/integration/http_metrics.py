#!/usr/bin/python3
"""Scrapes `jwstat --prom --listen` and attacks it (tests/integration/ops_jwstat.sh).

usage: http_metrics.py HOST PORT scrape|hostile

scrape:  GET /metrics, parsed by prometheus_client's text parser (python3-prometheus-client);
         prints the samples as JSON {name{labels}: value} for the shell to check.
hostile: bad requests (405, 404, 400 for several malformed lines, 431 for a 64 KiB header
         block), slowloris (40 connections trickling a request for 7 s, more than the 32
         slots, while real scrapes must still succeed), 100 parallel scrapes (each answered
         200 or 503, none hanging), then a last scrape that must parse.
Every socket has a timeout and every loop a bound; traffic goes to HOST (loopback) only.
"""
import json
import random
import socket
import sys
import threading
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HOST, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
assert HOST.startswith('127.'), 'loopback only'


def scrape():
    with urllib.request.urlopen(f'http://{HOST}:{PORT}/metrics', timeout=10) as r:
        assert r.status == 200, r.status
        ctype = r.headers['Content-Type']
        assert ctype.startswith('text/plain; version=0.0.4'), ctype
        text = r.read().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))
            out[f'{s.name}{{{labels}}}' if labels else s.name] = s.value
    return out


def raw(req, timeout=5):
    """Send bytes, return the status code of the reply (0 if the server just closed)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        s.sendall(req)
        data = b''
        while len(data) < 1 << 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return 0
    finally:
        s.close()
    if not data:
        return 0
    return int(data.split(b' ', 2)[1])


def expect(req, code, what):
    got = raw(req)
    assert got == code, f'{what}: got {got}, want {code}'
    print(f'ok {what}: {code}')


if MODE == 'scrape':
    print(json.dumps(scrape()))
    sys.exit(0)

expect(b'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 405, 'POST')
expect(b'DELETE / HTTP/1.0\r\n\r\n', 405, 'DELETE')
expect(b'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'unknown path')
expect(b'GET /metrics?x=1 HTTP/1.1\r\n\r\n', 200, 'query string ignored')
expect(b'HEAD /metrics HTTP/1.1\r\n\r\n', 200, 'HEAD')
for bad in (b'\r\n\r\n', b'GET\r\n\r\n', b'GET /metrics\r\n\r\n', b'GET metrics HTTP/1.1\r\n\r\n',
            b'GET /metrics HTTP/2.0\r\n\r\n', b'get /metrics HTTP/1.1\r\n\r\n',
            b'GET /met\x01rics HTTP/1.1\r\n\r\n', b'GET /metrics HTTP/1.1 x\r\n\r\n',
            b'GET /\x00 HTTP/1.1\r\n\r\n', b'\xff\xfe\xfd\r\n\r\n'):
    expect(bad, 400, f'malformed {bad[:24]!r}')
expect(b'GET /metrics HTTP/1.1\r\n' + b'X-Big: ' + b'a' * 65536 + b'\r\n\r\n', 431,
       '64 KiB of headers')
expect(b'GET /metrics HTTP/1.1\r\n' + b''.join(b'H%d: v\r\n' % i for i in range(5000)) +
       b'\r\n', 431, '5000 header lines')

# 300 random request heads (seeded): each is answered with a status or closed, none hangs
rng = random.Random(16)
seen = {}
for i in range(300):
    n = rng.randrange(0, 300)
    junk = bytes(rng.randrange(256) for _ in range(n))
    if i % 3 == 0:  # a real request line, garbage as its headers
        junk = (rng.choice([b'GET ', b'HEAD ', b'POST ']) + rng.choice([b'/metrics', b'/', b'/x']) +
                b' HTTP/1.1\r\n' + junk.replace(b'\n', b' ').replace(b'\r', b' '))
    code = raw(junk + b'\r\n\r\n', timeout=10)
    seen[code] = seen.get(code, 0) + 1
assert set(seen) <= {0, 200, 400, 404, 405, 431}, seen
print(f'ok 300 random request heads: {dict(sorted(seen.items()))}')

# slowloris: more trickling connections than slots, for longer than the request timeout
stop = threading.Event()
slow_closed = [0]


def trickle():
    try:
        s = socket.create_connection((HOST, PORT), timeout=10)
    except OSError:
        return
    try:
        s.sendall(b'GET /metrics HTTP/1.1\r\n')
        for _ in range(70):
            if stop.is_set():
                break
            s.sendall(b'X')
            time.sleep(0.1)
    except OSError:
        slow_closed[0] += 1  # evicted or timed out by the server: what we want
    finally:
        s.close()


threads = [threading.Thread(target=trickle) for _ in range(40)]
t_slow = time.time()
for t in threads:
    t.start()
time.sleep(1.0)
ok_during = 0
for _ in range(5):
    try:
        m = scrape()
        ok_during += m.get('jetwire_up') == 1.0
    except Exception as e:  # noqa: BLE001 (a failed scrape is counted, not fatal here)
        print('scrape during slowloris failed:', e)
    time.sleep(0.5)
time.sleep(max(0.0, 6.5 - (time.time() - t_slow)))  # past the server's 5 s request timeout
stop.set()
for t in threads:
    t.join(timeout=15)
print(f'slowloris: 40 trickling connections, {slow_closed[0]} closed by the server; '
      f'{ok_during}/5 scrapes succeeded meanwhile')
assert ok_during >= 4, 'slowloris locked out the scraper'

# 100 parallel scrapes
codes = []
lock = threading.Lock()


def one():
    c = raw(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', timeout=20)
    with lock:
        codes.append(c)


threads = [threading.Thread(target=one) for _ in range(100)]
t0 = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=30)
assert len(codes) == 100, f'{100 - len(codes)} parallel scrapes hung'
n200, n503 = codes.count(200), codes.count(503)
print(f'100 parallel scrapes in {time.time() - t0:.2f} s: {n200} x 200, {n503} x 503, '
      f'others {[c for c in codes if c not in (200, 503)]}')
assert n200 + n503 == 100 and n200 >= 32, codes

m = scrape()
assert m['jetwire_up'] == 1.0, m.get('jetwire_up')
assert m['jetwire_exporter_http_requests_total{code=400}'] >= 10, m
assert m['jetwire_exporter_http_requests_total{code=431}'] >= 2, m
assert m['jetwire_exporter_http_requests_total{code=405}'] >= 2, m
assert m['jetwire_exporter_http_requests_total{code=404}'] >= 1, m
assert m['jetwire_exporter_evictions_total'] >= 1, m    # the scrapes pushed tricklers out
assert m['jetwire_exporter_timeouts_total'] >= 20, m    # the other tricklers timed out
assert m['jetwire_exporter_busy_rejects_total'] >= 1, m
print('ok after all of that a scrape parses; exporter counters:',
      {k: v for k, v in m.items() if k.startswith('jetwire_exporter_')})
