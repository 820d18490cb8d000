#!/usr/bin/env python3
"""Table, targets and plot of the reference-burst benchmark (tests/bench/burst/run.sh).

usage: report.py ROWS.jsonl OUTDIR -> OUTDIR/burst-table.txt, burst-headlines.tsv, burst.png
Medians over the repeats of each (client, dedupe); ratios are jetwire's median over the
best stock client's median in the same run.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, median, plot, ratio  # noqa: E402

CLIENTS = [("jetwire", "jetwire (defaults)"), ("cnats", "cnats js_PublishAsync 50k"),
           ("natsgo", "nats.go js.PublishAsync 50k"),
           ("cnats-veth", "cnats 50k over veth (1500 B)")]


def med(rows, f):
    return median([f(r) for r in rows])


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    out = sys.argv[2]
    table, heads, points = [], [], []
    hdr = (f"{'client':30} {'dedupe':6} {'runs':>4} {'submit ms':>9} {'in calls':>8} {'acked ms':>9} "
           f"{'e2e p50 us':>10} {'e2e p99 us':>10} {'e2e max us':>10} {'safe p50 ms':>11} {'call p99 ns':>11} "
           f"{'srv us/msg':>10} {'pkts/msg':>8} {'csw/1k':>6} {'refused':>7}")
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
                "pk": med(rs, lambda r: r.get("packets_per_msg")),
                "refused": med(rs, lambda r: r.get("refused")),
                "csw": med(rs, lambda r: r.get("server_csw_per_1k_msgs")),
            }
            res[(c, dd)] = m
            table.append(f"{label:30} {dd:6} {len(rs):4d} {fmt(m['submit']):>9} {fmt(m['calls']):>8} {fmt(m['acked']):>9} "
                         f"{fmt(m['p50']):>10} {fmt(m['p99']):>10} {fmt(m['max']):>10} {fmt(m['at50']):>11} "
                         f"{fmt(m['call99'], 0):>11} {fmt(m['cpu'], 2):>10} {fmt(m['pk'], 2):>8} {fmt(m['csw'], 1):>6} "
                         f"{fmt(m['refused'], 0):>7}")
            points.append((f"{c}/{dd}", m["acked"], m["p50"] and m["p50"] / 1000.0))
        j = res[("jetwire", dd)]
        stock = [res[(c, dd)] for c in ("cnats", "natsgo", "cnats-veth") if res[(c, dd)]["acked"]]
        best = min((s["acked"] for s in stock), default=None)
        cn = res[("cnats", dd)]
        cv = res[("cnats-veth", dd)]

        checks = [
            (f"burst {dd}: jetwire submit time", j["submit"], "ms", "<= 5",
             j["submit"] is not None and j["submit"] <= 5),
            (f"burst {dd}: jetwire time inside the publish calls", j["calls"], "ms", "<= 5 (info)",
             j["calls"] is not None and j["calls"] <= 5),
            (f"burst {dd}: jetwire all-acked / best stock client", ratio(j["acked"], best), "x",
             "<= 1.0", ratio(j["acked"], best) is not None and ratio(j["acked"], best) <= 1.0),
            (f"burst {dd}: jetwire e2e p50 / cnats e2e p50", ratio(j["p50"], cn["p50"]), "x",
             "< 1.0", ratio(j["p50"], cn["p50"]) is not None and ratio(j["p50"], cn["p50"]) < 1.0),
            (f"burst {dd}: jetwire safe p50 (burst start -> ack) / best stock client's",
             ratio(j["at50"], min((x["at50"] for x in stock if x["at50"]), default=None)), "x",
             "<= 1.0 (info)", (ratio(j["at50"], min((x["at50"] for x in stock if x["at50"]),
                                                   default=None)) or 9) <= 1.0),
            (f"burst {dd}: jetwire call p99 / cnats call p99", ratio(j["call99"], cn["call99"]), "x",
             "<= 0.1", ratio(j["call99"], cn["call99"]) is not None
             and ratio(j["call99"], cn["call99"]) <= 0.1),
            (f"burst {dd}: server CPU per msg, jetwire / cnats (loopback)", ratio(j["cpu"], cn["cpu"]),
             "x", "<= 1.0", ratio(j["cpu"], cn["cpu"]) is not None and ratio(j["cpu"], cn["cpu"]) <= 1.0),
            (f"burst {dd}: server CPU per msg, jetwire / cnats over veth (equivalent path)",
             ratio(j["cpu"], cv["cpu"]), "x", "<= 1.0",
             ratio(j["cpu"], cv["cpu"]) is not None and ratio(j["cpu"], cv["cpu"]) <= 1.0),
            (f"burst {dd}: packets per msg, jetwire / cnats over veth", ratio(j["pk"], cv["pk"]),
             "x", "<= 1.0", ratio(j["pk"], cv["pk"]) is not None and ratio(j["pk"], cv["pk"]) <= 1.0),
        ]
        table.append("")
        for name, v, unit, tgt, ok in checks:
            verdict = "met" if ok else ("?" if v is None else "NOT met")
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


if __name__ == "__main__":
    main()
