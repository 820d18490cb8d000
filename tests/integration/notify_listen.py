#!/usr/bin/python3
"""A stand-in for systemd's notification socket (tests/integration/ops_systemd.sh).

usage: notify_listen.py SOCKET_PATH OUT_FILE SECONDS
Binds an AF_UNIX datagram socket at SOCKET_PATH and appends every datagram it receives to
OUT_FILE as one line (its newlines shown as ' | '), with the receive time, until SECONDS
pass. Checks each datagram is what sd_notify(3) allows: UTF-8 KEY=VALUE lines.
"""
import os
import re
import socket
import sys
import time

path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
t0 = time.time()
with open(out, 'a', buffering=1) as f:
    f.write('LISTENING\n')
    while time.time() - t0 < seconds:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        text = d.decode('utf-8')
        for line in text.strip('\n').split('\n'):
            assert re.fullmatch(r'[A-Z_]+=.*', line), f'not KEY=VALUE: {line!r}'
        f.write(f'{time.time() - t0:.3f} {text.strip(chr(10)).replace(chr(10), " | ")}\n')
os.unlink(path)
