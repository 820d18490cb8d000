#!/usr/bin/env python3
"""Engine benchmark report: reads the rows tests/bench/engine/run.sh collected (one JSON object per
row, from bench_engine plus storage/scenario/dedupe/label/stored/engine_ack_us) and writes
  engine-table.txt      the table, ratios against the cnats rows, the issue-7 targets
  engine.json           rows, groups, ratios and target verdicts
  engine-headlines.tsv  lines for scripts/bench.sh's summary
  engine.png            the table drawn with gnuplot (rates, call p99/max, ack p99)
A group is (storage, scenario, dedupe): its three rows (cnats MaxPending 50,000, cnats
MaxPending 4,000, jetwire) are compared like with like. The server's ceiling of a group is
the best acked rate of any of its rows (issue 7: "the best rate any client setting reaches
in the same run"). Usage: report.py ROWS.jsonl OUTDIR"""
import json, os, shutil, subprocess, sys

rows_path, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(rows_path) if l.strip()]

def get(r, *path, default=None):
    for p in path:
        if not isinstance(r, dict) or p not in r:
            return default
        r = r[p]
    return r

def fmt_ns(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.1fms" % (v / 1e6)
    if v >= 1e3:
        return "%.1fus" % (v / 1e3)
    return "%dns" % v

def fmt_us(v):
    if v is None:
        return "-"
    if v >= 1e3:
        return "%.1fms" % (v / 1e3)
    return "%.0fus" % v

def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b

def fr(x, digits=3):
    return "-" if x is None else ("%.*f" % (digits, x))

# Repeated runs of the same row: keep the one with the median acked rate (lower median for
# an even count); remember the spread.
runs = {}
for r in rows:
    k = (r.get("storage"), r.get("scenario"), r.get("dedupe"), r.get("label"))
    runs.setdefault(k, []).append(r)
groups = {}
for k, rs in runs.items():
    rs = sorted(rs, key=lambda x: x.get("acked_rate") or 0)
    m = dict(rs[(len(rs) - 1) // 2])
    m["runs"] = len(rs)
    m["rate_min"] = rs[0].get("acked_rate") or 0
    m["rate_max"] = rs[-1].get("acked_rate") or 0
    groups.setdefault(k[:3], []).append(m)

lines = []
hdr = ("%-6s %-9s %-5s %-19s %8s %8s %8s %8s %7s %6s %8s %8s %9s %15s %6s %8s %8s %15s %6s %5s %9s %8s"
       % ("store", "scenario", "dedup", "client", "call p50", "p99", "p99.9", "max", "refused",
          "faults", "submit", "acked", "acked/s", "(runs: range)", "/ceil", "ack p50", "ack p99",
          "eng ack p50/p99", "srv us", "pkts", "srv rd/wr", "stored"))
lines.append(hdr)
lines.append("-" * len(hdr))
group_out = []
for key in groups:
    g = groups[key]
    ceiling = max((x.get("acked_rate") or 0) for x in g)
    cn = {x.get("max_pending"): x for x in g
          if x.get("client") == "cnats" and x.get("net", "loopback") == "loopback"}
    cv = next((x for x in g if x.get("client") == "cnats" and x.get("net") == "veth"), None)
    jw = next((x for x in g if x.get("client") == "jetwire"), None)
    for x in g:
        eng = x.get("engine_ack_us")
        engs = "-" if not eng else "%s/%s" % (fmt_us(eng.get("p50")), fmt_us(eng.get("p99")))
        stored = x.get("stored")
        ok = "" if stored == x.get("count") and not x.get("duplicates") else "!"
        rng = "(%d: %.0fk-%.0fk)" % (x["runs"], x["rate_min"] / 1e3, x["rate_max"] / 1e3)
        cpu, pk = x.get("server_cpu_us_per_msg"), x.get("packets_per_msg")
        rd, wr = x.get("server_reads_per_msg"), x.get("server_writes_per_msg")
        rdwr = "?" if rd is None or wr is None else "%.2f/%.2f" % (rd, wr)
        lines.append("%-6s %-9s %-5s %-19s %8s %8s %8s %8s %7s %6s %7.3fs %7.3fs %9.0f %15s %6.3f %8s %8s %15s %6s %5s %9s %7s%s"
                     % (key[0], key[1], key[2], x.get("label", "?"),
                        fmt_ns(get(x, "call_ns", "p50")), fmt_ns(get(x, "call_ns", "p99")),
                        fmt_ns(get(x, "call_ns", "p999")), fmt_ns(get(x, "call_ns", "max")),
                        x.get("refused", "-"), x.get("minor_faults", "-"), x.get("submit_s") or 0, x.get("all_acked_s") or 0,
                        x.get("acked_rate") or 0, rng,
                        (x.get("acked_rate") or 0) / ceiling if ceiling else 0,
                        fmt_us(get(x, "ack_us", "p50")), fmt_us(get(x, "ack_us", "p99")), engs,
                        "?" if cpu is None else "%.2f" % cpu, "?" if pk is None else "%.2f" % pk,
                        rdwr, stored if stored is not None else "?", ok))
    gi = {"storage": key[0], "scenario": key[1], "dedupe": key[2], "ceiling": ceiling}
    if jw is not None:
        for mp in (50000, 4000):
            c = cn.get(mp)
            if c is None:
                continue
            gi["p99_vs_cnats%d" % mp] = ratio(get(jw, "call_ns", "p99"), get(c, "call_ns", "p99"))
            gi["max_vs_cnats%d" % mp] = ratio(get(jw, "call_ns", "max"), get(c, "call_ns", "max"))
            gi["ackp99_vs_cnats%d" % mp] = ratio(get(jw, "ack_us", "p99"), get(c, "ack_us", "p99"))
            gi["rate_vs_cnats%d" % mp] = ratio(jw.get("acked_rate"), c.get("acked_rate"))
            gi["cnats%d_rate" % mp] = c.get("acked_rate")
        gi["jetwire_rate"] = jw.get("acked_rate")
        if cn.get(50000) is not None:
            gi["cpu_vs_cnats"] = ratio(jw.get("server_cpu_us_per_msg"),
                                       cn[50000].get("server_cpu_us_per_msg"))
        if cv is not None:
            gi["cpu_vs_cnats_veth"] = ratio(jw.get("server_cpu_us_per_msg"),
                                            cv.get("server_cpu_us_per_msg"))
            gi["pk_vs_cnats_veth"] = ratio(jw.get("packets_per_msg"), cv.get("packets_per_msg"))
            gi["rd_vs_cnats_veth"] = ratio(jw.get("server_reads_per_msg"),
                                           cv.get("server_reads_per_msg"))
            gi["rate_vs_cnats_veth"] = ratio(jw.get("acked_rate"), cv.get("acked_rate"))
            gi["cnats_veth_rate"] = cv.get("acked_rate")
        gi["rate_vs_ceiling"] = ratio(jw.get("acked_rate"), ceiling)
        gi["jetwire_complete"] = (jw.get("stored") == jw.get("count") and not jw.get("failed")
                                  and not jw.get("duplicates"))
    group_out.append(gi)
lines.append("")
lines.append("each row: the run with the median acked rate of its repeats (range: slowest-fastest run).")
lines.append("call = one publish call of the producer thread (accepted calls; 'refused' = calls that "
             "did not queue: jetwire ring full / cnats stall wait ran out);")
lines.append("faults = minor page faults of the client process while submitting (a first touch costs "
             "the call it lands in about a microsecond);")
lines.append("submit = first call to last accepted call; acked = first call to last ack seen by the "
             "client; /ceil = acked/s over the group's best;")
lines.append("ack = call return to the client seeing the outcome; eng ack = jetwire's own frame-sent "
             "to PubAck latency; stored = JetStream's count ('!' = not the row's count, or duplicates acked);")
lines.append("srv us = nats-server CPU per acked message; pkts = packets per message both ways at the "
             "server's side of the client's path (jwv1 for jetwire, lo for cnats, the veth for cnats over veth);")
lines.append("srv rd/wr = nats-server's read and write system calls per message (reads: how many "
             "messages each wakeup found; writes: PubAck flushes, and file storage's own).")
lines.append("")
lines.append("jetwire vs cnats per group (ratio jetwire/cnats; MaxPending 50,000 | 4,000 over loopback; "
             "'vs veth': acked/s over cnats 50,000 on jetwire's kind of path; srv cpu: nats-server CPU per "
             "message over cnats 50,000's, on loopback | over veth; pkts/veth: packets per message over "
             "cnats-veth's):")
lines.append("%-6s %-9s %-5s %15s %15s %11s %15s %15s %9s %15s %9s %9s" % ("store", "scenario", "dedup",
             "call p99", "call max", "rate/ceil", "ack p99", "acked/s", "vs veth",
             "srv cpu|veth", "pkts/veth", "rd/veth"))
for gi in group_out:
    if "jetwire_rate" not in gi:
        continue
    lines.append("%-6s %-9s %-5s %7s|%-7s %7s|%-7s %11s %7s|%-7s %7s|%-7s %9s %7s|%-7s %9s %9s" % (
        gi["storage"], gi["scenario"], gi["dedupe"],
        fr(gi.get("p99_vs_cnats50000")), fr(gi.get("p99_vs_cnats4000")),
        fr(gi.get("max_vs_cnats50000"), 4), fr(gi.get("max_vs_cnats4000"), 4),
        fr(gi.get("rate_vs_ceiling")),
        fr(gi.get("ackp99_vs_cnats50000")), fr(gi.get("ackp99_vs_cnats4000")),
        fr(gi.get("rate_vs_cnats50000"), 2), fr(gi.get("rate_vs_cnats4000"), 2),
        fr(gi.get("rate_vs_cnats_veth"), 2), fr(gi.get("cpu_vs_cnats"), 2),
        fr(gi.get("cpu_vs_cnats_veth"), 2), fr(gi.get("pk_vs_cnats_veth"), 2),
        fr(gi.get("rd_vs_cnats_veth"), 2)))

# Targets (issue 7), judged in every group; the worst group decides.
def judge(name, field_list, op, limit, groups_sel):
    vals = []
    for gi in groups_sel:
        for f in field_list:
            v = gi.get(f)
            if v is not None:
                vals.append((v, "%s %s %s %s" % (gi["storage"], gi["scenario"], gi["dedupe"],
                                                 f.replace("_vs_cnats", " vs ").replace("_", " "))))
    if not vals:
        return None
    worst = max(vals) if op == "le" else min(vals)
    met = sum(1 for v, _ in vals if (v <= limit if op == "le" else v >= limit))
    return {"target": name, "worst": worst[0], "where": worst[1], "limit": limit, "op": op,
            "met": met, "of": len(vals), "verdict": "met" if met == len(vals) else "NOT met"}

jw_groups = [g for g in group_out if "jetwire_rate" in g]
paced = [g for g in jw_groups if g["scenario"] == "paced"]
unpaced = [g for g in jw_groups if g["scenario"] != "paced"]
targets = [t for t in (
    judge("call p99 <= cnats p99 / 10", ["p99_vs_cnats50000", "p99_vs_cnats4000"], "le", 0.1, jw_groups),
    judge("call max <= cnats max / 100", ["max_vs_cnats50000", "max_vs_cnats4000"], "le", 0.01, jw_groups),
    judge("acked/s >= 95% of the server's ceiling", ["rate_vs_ceiling"], "ge", 0.95, unpaced),
    judge("ack p99 < cnats ack p99 at the same rate (paced)", ["ackp99_vs_cnats50000", "ackp99_vs_cnats4000"], "le", 0.999999, paced),
) if t]
lines.append("")
lines.append("targets (issue 7), worst group shown (acked/s judged in burst and sustained; "
             "ack p99 at the same throughput judged in the paced groups):")
for t in targets:
    lines.append("  %-42s worst %.4f (%s), limit %s %g: %s (met in %d of %d comparisons)"
                 % (t["target"], t["worst"], t["where"], "<=" if t["op"] == "le" else ">=",
                    t["limit"], t["verdict"], t["met"], t["of"]))
incomplete = [r for r in rows
              if r.get("stored") != r.get("count") or r.get("failed") or r.get("duplicates")]
if incomplete:
    lines.append("rows not fully stored or with failures: " + ", ".join(
        "%s/%s/%s/%s" % (r.get("storage"), r.get("scenario"), r.get("dedupe"), r.get("label"))
        for r in incomplete))
text = "\n".join(lines) + "\n"
sys.stdout.write(text)
open(os.path.join(out, "engine-table.txt"), "w").write(text)
json.dump({"rows": rows, "groups": group_out, "targets": targets},
          open(os.path.join(out, "engine.json"), "w"), indent=1)

with open(os.path.join(out, "engine-headlines.tsv"), "w") as h:
    for t in targets:
        h.write("engine\t%s\t%.4g\tx\t%s %g\t%s (met %d/%d)\n" % (
            t["target"] + " (worst)", t["worst"], "<=" if t["op"] == "le" else ">=", t["limit"],
            t["verdict"], t["met"], t["of"]))
    for gi in jw_groups:
        if gi["scenario"] != "sustained":
            continue
        h.write("engine\tjetwire acked/s, %s sustained, dedupe %s (cnats 50k: %.0f, 4k: %.0f)\t%.0f\tmsgs/s\t\t\n"
                % (gi["storage"], gi["dedupe"], gi.get("cnats50000_rate") or 0,
                   gi.get("cnats4000_rate") or 0, gi["jetwire_rate"] or 0))
    if incomplete:
        h.write("engine\trows not fully stored or with failures\t%d\trows\t0\tNOT met\n" % len(incomplete))

# ---- PNG -------------------------------------------------------------------------------
if shutil.which("gnuplot") is None:
    print("engine: gnuplot not installed: no PNG")
    sys.exit(0)
dat = os.path.join(out, "engine-plot.dat")
with open(dat, "w") as d:
    d.write("# group cnats50k cnats4k jetwire (acked/s) | call p99 ns x3 | call max ns x3 | ack p99 us x3 | cnats 50k over veth acked/s\n")
    for key, g in groups.items():
        by = {}
        for x in g:
            if x.get("client") == "jetwire":
                k = "jetwire"
            elif x.get("net") == "veth":
                k = "cnats_veth"
            else:
                k = "cnats%s" % x.get("max_pending")
            by[k] = x
        cols = []
        for metric in (("acked_rate",), ("call_ns", "p99"), ("call_ns", "max"), ("ack_us", "p99")):
            for k in ("cnats50000", "cnats4000", "jetwire"):
                v = get(by.get(k, {}), *metric)
                cols.append("%g" % v if v else "NaN")
        v = get(by.get("cnats_veth", {}), "acked_rate")
        cols.append("%g" % v if v else "NaN")
        d.write('"%s\\n%s\\n%s" %s\n' % (key[0], key[1], key[2], " ".join(cols)))
png = os.path.join(out, "engine.png")
gp = """
set terminal pngcairo size 1600,1200 font ",10" noenhanced
set output '%s'
set multiplot layout 2,2 title "jetwire vs cnats js_PublishAsync (128 B, same nats-server and stream; server CPU %s, client side CPU %s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics font ",8"
set grid ytics
set key below horizontal
set bmargin 7
set yrange [0:*]
set title "acked msgs/s (higher is better)"
plot '%s' using 2:xtic(1) title 'cnats MaxPending 50,000', '' using 3 title 'cnats MaxPending 4,000', '' using 4 title 'jetwire', '' using 14 title 'cnats 50,000 over veth (jetwire-like path)'
set logscale y
set yrange [*:*]
set title "call latency p99, ns (log)"
plot '%s' using 5:xtic(1) title 'cnats 50,000', '' using 6 title 'cnats 4,000', '' using 7 title 'jetwire'
set title "call latency max, ns (log)"
plot '%s' using 8:xtic(1) title 'cnats 50,000', '' using 9 title 'cnats 4,000', '' using 10 title 'jetwire'
set title "ack latency p99, us (log; call return to outcome seen by the client)"
plot '%s' using 11:xtic(1) title 'cnats 50,000', '' using 12 title 'cnats 4,000', '' using 13 title 'jetwire'
unset multiplot
""" % (png, rows[0].get("server_cpus", "?") if rows else "?",
       rows[0].get("client_cpus", "?") if rows else "?", dat, dat, dat, dat)
open(os.path.join(out, "engine.gp"), "w").write(gp)
r = subprocess.run(["gnuplot", os.path.join(out, "engine.gp")], capture_output=True, text=True)
if r.returncode != 0:
    print("engine: gnuplot failed: " + r.stderr.strip()[:500])
else:
    print("engine: plot " + png)
