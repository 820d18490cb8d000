#!/usr/bin/env python3
"""Table, targets and plot of the reference-burst benchmark (tests/bench/burst/run.sh).

usage: report.py ROWS.jsonl OUTDIR -> OUTDIR/burst-table.txt, burst-headlines.tsv, burst.png
The table: medians over the repeats of each (client, dedupe). The judged ratios are paired:
in each repeat, jetwire's value over the stock client's of the same repeat (the clients of a
repeat run back to back, its order rotating), then the median of those per-repeat ratios,
with how many repeats met the target on their own. Pairing cancels the drift of the
server's speed between repeats, which on a shared host is larger than the differences
between clients.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, median, paired, plot  # noqa: E402

CLIENTS = [("jetwire", "jetwire (defaults)"), ("cnats", "cnats js_PublishAsync 50k"),
           ("natsgo", "nats.go js.PublishAsync 50k"),
           ("cnats-veth", "cnats 50k over veth (1500 B)")]


def med(rows, f):
    return median([f(r) for r in rows])


def by_rep(rows, dd):
    """{repeat: {client: row}} of the acked rows of dedupe mode dd."""
    out = {}
    for r in rows:
        if r.get("dedupe") == dd and r.get("acked"):
            out.setdefault(r.get("rep"), {})[r["client"]] = r
    return out


def judged(ratios, ok):
    """(median ratio, 'k/n' repeats meeting ok) of a list of per-repeat ratios."""
    return median(ratios), f"{sum(1 for x in ratios if ok(x))}/{len(ratios)}"


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    out = sys.argv[2]
    table, heads, points = [], [], []
    hdr = (f"{'client':30} {'dedupe':6} {'runs':>4} {'submit ms':>9} {'in calls':>8} {'acked ms':>9} "
           f"{'e2e p50 us':>10} {'e2e p99 us':>10} {'e2e max us':>10} {'safe p50 ms':>11} {'call p99 ns':>11} "
           f"{'srv us/msg':>10} {'srv busy':>8} {'pkts/msg':>8} {'csw/1k':>6} {'refused':>7}")
    res = {}
    for dd in ("off", "msgid"):
        table.append(f"dedupe {dd} ({'plain publishes' if dd == 'off' else 'Nats-Msg-Id on every message'})")
        table.append(hdr)
        for c, label in CLIENTS:
            rs = [r for r in rows if r.get("client") == c and r.get("dedupe") == dd
                  and r.get("acked")]
            m = {
                "submit": med(rs, lambda r: r.get("submit_ms")),
                "calls": med(rs, lambda r: r.get("calls_ms")),
                "acked": med(rs, lambda r: r.get("all_acked_ms")),
                "p50": med(rs, lambda r: (r.get("e2e_us") or {}).get("p50")),
                "p99": med(rs, lambda r: (r.get("e2e_us") or {}).get("p99")),
                "max": med(rs, lambda r: (r.get("e2e_us") or {}).get("max")),
                "at50": med(rs, lambda r: ((r.get("acked_at_us") or {}).get("p50") or 0) / 1000.0
                            if r.get("acked_at_us") else None),
                "call99": med(rs, lambda r: (r.get("call_ns") or {}).get("p99")),
                "cpu": med(rs, lambda r: r.get("server_cpu_us_per_msg")),
                "busy": med(rs, lambda r: r.get("server_busy") and 100 * r["server_busy"]),
                "pk": med(rs, lambda r: r.get("packets_per_msg")),
                "refused": med(rs, lambda r: r.get("refused")),
                "csw": med(rs, lambda r: r.get("server_csw_per_1k_msgs")),
            }
            res[(c, dd)] = m
            table.append(f"{label:30} {dd:6} {len(rs):4d} {fmt(m['submit']):>9} {fmt(m['calls']):>8} {fmt(m['acked']):>9} "
                         f"{fmt(m['p50']):>10} {fmt(m['p99']):>10} {fmt(m['max']):>10} {fmt(m['at50']):>11} "
                         f"{fmt(m['call99'], 0):>11} {fmt(m['cpu'], 2):>10} {fmt(m['busy'], 0) + ' %':>8} {fmt(m['pk'], 2):>8} {fmt(m['csw'], 1):>6} "
                         f"{fmt(m['refused'], 0):>7}")
            points.append((f"{c}/{dd}", m["acked"], m["p50"] and m["p50"] / 1000.0))
        j = res[("jetwire", dd)]

        stock_names = ("cnats", "natsgo", "cnats-veth")
        reps = by_rep(rows, dd)
        acked = lambda r: r.get("all_acked_ms")  # noqa: E731
        p50 = lambda r: (r.get("e2e_us") or {}).get("p50")  # noqa: E731
        at50 = lambda r: (r.get("acked_at_us") or {}).get("p50")  # noqa: E731
        cpu = lambda r: r.get("server_cpu_us_per_msg")  # noqa: E731
        pk = lambda r: r.get("packets_per_msg")  # noqa: E731
        le1, lt1 = (lambda x: x <= 1.0), (lambda x: x < 1.0)  # noqa: E731
        pairs = [
            (f"burst {dd}: jetwire all-acked / best stock client", paired(reps, acked, "jetwire", stock_names), "<= 1.0", le1),
            (f"burst {dd}: jetwire e2e p50 / cnats e2e p50", paired(reps, p50, "jetwire", ("cnats",)), "< 1.0", lt1),
            (f"burst {dd}: jetwire safe p50 (burst start -> ack) / best stock client's",
             paired(reps, at50, "jetwire", ("cnats", "cnats-veth")), "<= 1.0 (info)", le1),
            (f"burst {dd}: jetwire call p99 / cnats call p99",
             paired(reps, lambda r: (r.get("call_ns") or {}).get("p99"), "jetwire", ("cnats",)), "<= 0.1",
             lambda x: x <= 0.1),
            (f"burst {dd}: server CPU per msg, jetwire / cnats (loopback)", paired(reps, cpu, "jetwire", ("cnats",)), "<= 1.0", le1),
            (f"burst {dd}: server CPU per msg, jetwire / cnats over veth (equivalent path)",
             paired(reps, cpu, "jetwire", ("cnats-veth",)), "<= 1.0", le1),
            (f"burst {dd}: packets per msg, jetwire / cnats over veth", paired(reps, pk, "jetwire", ("cnats-veth",)), "<= 1.0", le1),
        ]
        checks = [
            (f"burst {dd}: jetwire submit time", j["submit"], "ms", "<= 5",
             j["submit"] is not None and j["submit"] <= 5, ""),
            (f"burst {dd}: jetwire time inside the publish calls", j["calls"], "ms", "<= 5 (info)",
             j["calls"] is not None and j["calls"] <= 5, ""),
        ]
        for name, rs, tgt, ok in pairs:
            v, met = judged(rs, ok)
            checks.append((name, v, "x", tgt, v is not None and ok(v), f" (paired median; met {met})"))
        table.append("")
        for name, v, unit, tgt, ok, how in checks:
            verdict = ("met" if ok else ("?" if v is None else "NOT met")) + how
            table.append(f"  {name}: {fmt(v, 2)} {unit} (target {tgt}): {verdict}")
            heads.append(f"burst\t{name}\t{fmt(v, 2)}\t{unit}\t{tgt}\t{verdict}")
        table.append("")
    open(f"{out}/burst-table.txt", "w").write("\n".join(table) + "\n")
    open(f"{out}/burst-headlines.tsv", "w").write("\n".join(heads) + "\n")
    print("\n".join(table))
    dat = f"{out}/burst.dat"
    with open(dat, "w") as f:
        for i, (name, acked, p50) in enumerate(points):
            f.write(f"{i} \"{name}\" {acked if acked is not None else 0} {p50 if p50 is not None else 0}\n")
    gp = (f"set terminal pngcairo size 1000,500 noenhanced; set output '{out}/burst.png';"
          "set title 'reference burst: 5 x 10,000 x 128 B (medians)'; set style fill solid 0.6;"
          "set boxwidth 0.35; set ylabel 'ms'; set xtics rotate by -30;"
          f"plot '{dat}' using ($1-0.2):3:xtic(2) with boxes title 'all acked (ms)',"
          f" '' using ($1+0.2):4 with boxes title 'e2e p50 (ms)'")
    plot(gp, "burst")
    timeline_plot(rows, out)


def timeline_plot(rows, out):
    """burst-timeline.png: messages acked so far against time since the first call, one
    line per C client and dedupe mode, from its repeat with the median all-acked time
    (the run's timeline-CLIENT-DEDUPE-REP.txt: ms, calls returned, outcomes seen)."""
    series = []
    for dd in ("off", "msgid"):
        for c in ("jetwire", "cnats", "cnats-veth"):
            rs = sorted((r for r in rows if r.get("client") == c and r.get("dedupe") == dd
                         and r.get("all_acked_ms")), key=lambda r: r["all_acked_ms"])
            if not rs:
                continue
            rep = rs[len(rs) // 2]["rep"]
            src = f"{out}/timeline-{c}-{dd}-{rep}.txt"
            if not os.path.exists(src):
                continue
            dst = f"{out}/burst-timeline-{c}-{dd}.dat"
            acked = 0
            with open(src) as f, open(dst, "w") as g:
                for line in f:
                    ms, _, n = line.split()
                    acked += int(n)
                    g.write(f"{ms} {acked}\n")
            series.append(f"'{dst}' using 1:2 with lines lw 2 title '{c} {dd} (repeat {rep})'")
    if not series:
        return
    gp = (f"set terminal pngcairo size 1000,500 noenhanced; set output '{out}/burst-timeline.png';"
          "set title 'reference burst: messages acked since the first call (median repeat)';"
          "set xlabel 'ms since the first publish call'; set ylabel 'acked'; set key bottom right;"
          "plot " + ", ".join(series))
    plot(gp, "burst timeline")


if __name__ == "__main__":
    main()
