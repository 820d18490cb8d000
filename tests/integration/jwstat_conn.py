#!/usr/bin/env python3
"""The first connection of a jwstat --json sample, as JSON on stdout.

usage: jwstat_conn.py [--all] [FILE]   (default: stdin)
With --all: every connection, as a JSON list. A connection is the first object, depth first, that carries the per-connection TCP
counters ("segs_out"): wherever /jetwire/conns puts it, as a list or keyed. Exit 1 when
there is none (no connection in the sample)."""
import json
import sys


def conns(o):
    if isinstance(o, dict):
        if "segs_out" in o:
            yield o
        for v in o.values():
            yield from conns(v)
    elif isinstance(o, list):
        for v in o:
            yield from conns(v)


def main():
    args = sys.argv[1:]
    every = bool(args) and args[0] == "--all"
    args = args[1:] if every else args
    found = list(conns(json.load(open(args[0]) if args else sys.stdin)))
    if not found:
        print("jwstat_conn: no connection in the sample", file=sys.stderr)
        return 1
    json.dump(found if every else found[0], sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
