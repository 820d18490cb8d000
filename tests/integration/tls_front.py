#!/usr/bin/env python3
"""A NATS TLS front for the TLS tests (not a product): listens on ADDR:PORT; for each client
it connects to the plain upstream nats-server, forwards the server's INFO in clear with
tls_required set (as nats-server 2.9 does), runs the TLS handshake as the server with
Python's ssl module (OpenSSL) restricted to the requested versions (and TLS 1.2 ciphers),
then relays the plaintext both ways. nats-server 2.9 has no setting for its TLS versions,
so the 1.2-only and 1.3-only servers of the tests are this front before the reference
server. One thread per connection, a select loop in each; the SSL object is used by that
thread only.

--corrupt-after N / --close-notify-after N: on the first connection only, once N bytes of the
server's plaintext have been relayed, the next record to the client has one bit of its
authentication tag flipped (a bad record), or the front sends close_notify and closes (an
alert). Later connections are relayed cleanly. These run the TLS over memory BIOs so that
the front sees the records it sends."""
import argparse
import json
import select
import socket
import ssl
import sys
import threading

VERS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def addr(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def serve(cli, ctx, upstream):
    up = None
    try:
        up = socket.create_connection(upstream, timeout=5)
        buf = b""
        while b"\r\n" not in buf:
            d = up.recv(4096)
            if not d:
                return
            buf += d
        line, rest = buf.split(b"\r\n", 1)
        info = json.loads(line[5:])
        info["tls_required"] = True
        cli.sendall(b"INFO " + json.dumps(info).encode() + b"\r\n")
        tcli = ctx.wrap_socket(cli, server_side=True)
        up.settimeout(None)
        if rest:
            tcli.sendall(rest)
        while True:
            r, _, _ = select.select([tcli, up], [], [], 1.0)
            if tcli in r or tcli.pending():
                d = tcli.recv(65536)
                if not d:
                    return
                up.sendall(d)
            if up in r:
                d = up.recv(65536)
                if not d:
                    return
                tcli.sendall(d)
    except (OSError, ssl.SSLError, ValueError) as e:
        print("front: connection ended:", e, file=sys.stderr, flush=True)
    finally:
        cli.close()
        if up is not None:
            up.close()


FAULT = {"left": 1, "lock": threading.Lock()}


def fault_due():
    """True once per process: the first connection that reaches the byte count."""
    with FAULT["lock"]:
        if FAULT["left"] > 0:
            FAULT["left"] -= 1
            return True
        return False


def serve_bio(cli, ctx, upstream, mode, after):
    up = None
    try:
        up = socket.create_connection(upstream, timeout=5)
        buf = b""
        while b"\r\n" not in buf:
            d = up.recv(4096)
            if not d:
                return
            buf += d
        line, rest = buf.split(b"\r\n", 1)
        info = json.loads(line[5:])
        info["tls_required"] = True
        cli.sendall(b"INFO " + json.dumps(info).encode() + b"\r\n")
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_side=True)

        def flush():
            d = out.read()
            if d:
                cli.sendall(d)

        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush()
                d = cli.recv(65536)
                if not d:
                    return
                inc.write(d)
        flush()
        up.settimeout(None)
        relayed, armed = 0, True
        pending = rest

        def from_client():
            # every record already in the BIO (the client's first ones may have come with
            # its Finished): False at close_notify
            while True:
                try:
                    p = obj.read(65536)
                except ssl.SSLWantReadError:
                    return True
                if not p:
                    return False
                up.sendall(p)

        if not from_client():
            return
        flush()
        while True:
            if pending:
                d, pending = pending, b""
            else:
                r, _, _ = select.select([cli, up], [], [], 1.0)
                if cli in r:
                    d = cli.recv(65536)
                    if not d:
                        return
                    inc.write(d)
                    if not from_client():
                        return
                    flush()
                if up not in r:
                    continue
                d = up.recv(65536)
                if not d:
                    return
            relayed += len(d)
            if armed and relayed >= after and fault_due():
                armed = False
                if mode == "close-notify":
                    flush()
                    try:
                        obj.unwrap()
                    except ssl.SSLError:
                        pass
                    flush()
                    print("front: sent close_notify after", relayed, "bytes", flush=True)
                    # a close with unread input (jetwire keeps publishing) makes the kernel
                    # reset the connection and drop what it had not sent yet: the small
                    # close_notify record could be held back by Nagle behind unacked
                    # PubAcks and never leave (a CI run saw jetwire get only the RST). So:
                    # FIN after the record, then read until jetwire closes its side.
                    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    cli.shutdown(socket.SHUT_WR)
                    cli.settimeout(10.0)
                    try:
                        while cli.recv(65536):
                            pass
                    except OSError:
                        pass  # jetwire's reset after the alert: what it should do
                    return
                obj.write(d)
                rec = bytearray(out.read())
                rec[-1] ^= 1  # the last byte of the last record: its tag
                cli.sendall(bytes(rec))
                print("front: sent a damaged record after", relayed, "bytes", flush=True)
                continue
            armed = armed and relayed < after
            obj.write(d)
            flush()
    except (OSError, ssl.SSLError, ValueError) as e:
        print("front: connection ended:", e, file=sys.stderr, flush=True)
    finally:
        cli.close()
        if up is not None:
            up.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--min", default="1.2", choices=VERS)
    ap.add_argument("--max", default="1.3", choices=VERS)
    ap.add_argument("--ciphers", help="TLS 1.2 cipher list (OpenSSL names)")
    ap.add_argument("--corrupt-after", type=int, metavar="N")
    ap.add_argument("--close-notify-after", type=int, metavar="N")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.minimum_version = VERS[a.min]
    ctx.maximum_version = VERS[a.max]
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(a.listen))
    ls.listen(16)
    print("front: ready", flush=True)
    while True:
        cli, _ = ls.accept()
        if a.corrupt_after is not None:
            t = threading.Thread(target=serve_bio, args=(cli, ctx, addr(a.upstream), "corrupt",
                                                         a.corrupt_after), daemon=True)
        elif a.close_notify_after is not None:
            t = threading.Thread(target=serve_bio, args=(cli, ctx, addr(a.upstream),
                                                         "close-notify", a.close_notify_after),
                                 daemon=True)
        else:
            t = threading.Thread(target=serve, args=(cli, ctx, addr(a.upstream)), daemon=True)
        t.start()


if __name__ == "__main__":
    main()
