#!/usr/bin/env python3
"""Table, target and plot of the window benchmark (tests/bench/window/run.sh).

usage: report.py ROWS.jsonl OUTDIR -> OUTDIR/window-table.txt, window-headlines.tsv, window.png
Medians over the repeats of each (dedupe, window). The best fixed window is the one with the
best median; the targets are paired: in each repeat the adaptive window's acked rate over
that fixed window's (or cnats's) in the same repeat, then the median of those ratios and how
many repeats met the target on their own (the rows of a repeat run back to back in a
rotating order; the server's speed drifts more between repeats than it differs between
windows).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, paired, plot  # noqa: E402
from benchlib import median as med  # noqa: E402


def by_rep(sel):
    """{repeat: {window or "cnats": row}} of the acked rows in sel."""
    out = {}
    for r in sel:
        if r.get("acked"):
            out.setdefault(r.get("rep"), {})["cnats" if r["client"] == "cnats" else r["window"]] = r
    return out


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    out = sys.argv[2]
    table, heads, points = [], [], []
    windows = []
    for r in rows:
        if r.get("client") == "jetwire" and r["window"] not in windows:
            windows.append(r["window"])
    for dd in ("off", "msgid"):
        sel = [r for r in rows if r.get("dedupe") == dd]
        if not sel:
            continue
        table.append(f"dedupe {dd}: sustained, medians of the repeats")
        table.append(f"{'client / window':28} {'runs':>4} {'acked/s':>9} {'min..max':>17} "
                     f"{'srv us/msg':>10} {'srv busy':>8} {'W at end':>8} {'max in flight':>13} {'e2e p50 ms':>10}")
        rates = {}
        for w in windows + ["cnats"]:
            rs = [r for r in sel if r.get("acked") and
                  (r["client"] == "cnats" if w == "cnats" else
                   r["client"] == "jetwire" and r["window"] == w)]
            rate = med([r.get("acked_rate") for r in rs])
            rates[w] = rate
            lo = min((r["acked_rate"] for r in rs), default=None)
            hi = max((r["acked_rate"] for r in rs), default=None)
            label = "cnats js_PublishAsync 50k" if w == "cnats" else f"jetwire window {w}"
            table.append(
                f"{label:28} {len(rs):4d} {fmt(rate and rate / 1000, 1) + ' k':>9} "
                f"{fmt(lo and lo / 1000, 0) + '..' + fmt(hi and hi / 1000, 0) + ' k':>17} "
                f"{fmt(med([r.get('server_cpu_us_per_msg') for r in rs]), 2):>10} "
                f"{fmt(med([r.get('server_busy') and 100 * r['server_busy'] for r in rs]), 0) + ' %':>8} "
                f"{fmt(med([r.get('window_now') for r in rs]), 0):>8} "
                f"{fmt(med([r.get('most_in_flight') for r in rs]), 0):>13} "
                f"{fmt(med([(r.get('e2e_us') or {}).get('p50') for r in rs]) and med([(r.get('e2e_us') or {}).get('p50') for r in rs]) / 1000, 1):>10}")
            points.append((f"{dd}/{w}", rate or 0))
        fixed = {w: v for w, v in rates.items() if not w.startswith("adaptive") and w != "cnats" and v}
        best_w = max(fixed, key=fixed.get) if fixed else None
        table.append("")
        for what, b, tgt in ((f"best fixed window ({best_w})", best_w, 0.98), ("cnats", "cnats", 1.0)):
            rs = paired(by_rep(sel), lambda r: r.get("acked_rate"), "adaptive", (b,)) if b else []
            v = med(rs)
            ok = v is not None and v >= tgt
            met = f" (paired median; met {sum(1 for x in rs if x >= tgt)}/{len(rs)})"
            line = (f"window {dd}: adaptive / {what} acked rate\t{fmt(v, 3)}\tx\t>= {tgt}\t"
                    f"{('met' if ok else ('?' if v is None else 'NOT met')) + met}")
            heads.append("window\t" + line)
            table.append("  " + line.replace("\t", " "))
        table.append("")
    open(f"{out}/window-table.txt", "w").write("\n".join(table) + "\n")
    open(f"{out}/window-headlines.tsv", "w").write("\n".join(heads) + "\n")
    print("\n".join(table))
    dat = f"{out}/window.dat"
    with open(dat, "w") as f:
        for i, (name, rate) in enumerate(points):
            f.write(f"{i} \"{name}\" {rate / 1000.0}\n")
    gp = (f"set terminal pngcairo size 1000,500 noenhanced; set output '{out}/window.png';"
          "set title 'sustained: acked k msgs/s by window (medians)'; set style fill solid 0.6;"
          "set boxwidth 0.6; set ylabel 'k msgs/s'; set xtics rotate by -30; set yrange [0:*];"
          f"plot '{dat}' using 1:3:xtic(2) with boxes notitle")
    plot(gp, "window")


if __name__ == "__main__":
    main()
