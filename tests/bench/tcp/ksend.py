#!/usr/bin/env python3
"""Kernel-socket baseline for tests/bench/tcp/run.sh: sends the first N bytes of jwtcpsend's
pattern (byte i = ((i mod 65521) * 2654435761 mod 2^32) >> 24) to HOST:PORT through an
ordinary TCP socket, closes, and prints `sent N bytes sha256 <hex> <seconds>`."""
import hashlib, socket, sys, time

P = 65521
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not (host.startswith("198.18.") or host.startswith("198.19.") or host == "127.0.0.1"):
    sys.exit("ksend: refusing to send outside 198.18.0.0/15")
block = bytes(((k * 2654435761) & 0xffffffff) >> 24 for k in range(P))
big = memoryview(block * 18)          # any window of up to 17 periods starting in period 0
CHUNK = 16 * P
h = hashlib.sha256()
s = socket.create_connection((host, port))
t0 = time.time()
off = 0
while off < n:
    k = min(CHUNK, n - off)
    start = off % P
    piece = big[start:start + k]
    s.sendall(piece)
    off += k
s.shutdown(socket.SHUT_WR)
s.recv(1)                            # wait for the sink's close: everything was read
s.close()
dt = time.time() - t0
off = 0                              # the digest, outside the timed part (as jwtcpsend)
while off < n:
    k = min(CHUNK, n - off)
    h.update(big[off % P:off % P + k])
    off += k
print("sent %d bytes sha256 %s %.3f" % (n, h.hexdigest(), dt))
