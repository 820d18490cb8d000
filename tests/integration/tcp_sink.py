#!/usr/bin/env python3
"""Kernel TCP sink for jetwire's TCP interop tests and benchmark (runs inside netns jw-srv).

Accepts connections one after another on --bind:--port (at most --conns, default 1) and,
for each, reads until EOF and appends one line to --out:
    received <N> bytes sha256 <hex> <seconds>
--rcvbuf sets SO_RCVBUF before listen; --rate (bytes/s) reads slowly, so the receive
window closes; --stall-every N --stall-ms M stops reading for M ms after every N bytes (long
enough, the sender's persist timer probes the zero window); --reset-after N closes with RST (SO_LINGER 0) after N bytes.
--ready FILE is created once the socket listens. Gives up after --timeout seconds.
"""
import argparse, hashlib, os, socket, struct, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="198.18.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--ready")
ap.add_argument("--conns", type=int, default=1)
ap.add_argument("--rcvbuf", type=int, default=0)
ap.add_argument("--rate", type=float, default=0.0)
ap.add_argument("--reset-after", type=int, default=0)
ap.add_argument("--stall-every", type=int, default=0, help="pause reading after every N bytes")
ap.add_argument("--stall-ms", type=int, default=0)
ap.add_argument("--timeout", type=float, default=300.0)
a = ap.parse_args()
if not (a.bind.startswith("198.18.") or a.bind.startswith("198.19.") or a.bind in ("0.0.0.0", "127.0.0.1")):
    sys.exit("sink: refusing to bind outside 198.18.0.0/15")

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if a.rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
s.bind((a.bind, a.port))
s.listen(4)
s.settimeout(a.timeout)
if a.ready:
    open(a.ready, "w").close()
deadline = time.time() + a.timeout
for _ in range(a.conns):
    c, peer = s.accept()
    c.settimeout(max(1.0, deadline - time.time()))
    h = hashlib.sha256()
    n = 0
    t0 = time.time()
    chunk = 4096 if a.rate else 1 << 20
    try:
        while True:
            if a.reset_after and n >= a.reset_after:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            b = c.recv(chunk)
            if not b:
                break
            h.update(b)
            n += len(b)
            if a.rate:
                time.sleep(len(b) / a.rate)
            if a.stall_every and n // a.stall_every != (n - len(b)) // a.stall_every:
                time.sleep(a.stall_ms / 1000.0)
    except socket.timeout:
        print("sink: timeout", file=sys.stderr)
    dt = time.time() - t0
    c.close()
    with open(a.out, "a") as f:
        f.write("received %d bytes sha256 %s %.3f\n" % (n, h.hexdigest(), dt))
s.close()
