"""Helpers shared by the benchmark reports (tests/bench/<part>/report.py): medians that skip
missing values, number formatting, ratios and the gnuplot call."""
import statistics
import subprocess


def median(vals):
    """Median of the values that are not None; None when there are none."""
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, d=1):
    """v with d decimals, '?' for a missing value."""
    return "?" if v is None else f"{v:.{d}f}"


def ratio(a, b):
    """a / b, None when either is missing or b is 0."""
    return None if a is None or not b else a / b


def paired(by_rep, value, a, against):
    """Paired ratios: by_rep maps each repeat to {name: row} of the rows run back to back in
    it. Per repeat, value(row a) over the smallest value(row) among the names `against`
    present (the best stock client for times, the one reference for a single name); the
    list over the repeats where both exist."""
    out = []
    for rep in sorted(by_rep):
        at = by_rep[rep]
        j = value(at[a]) if a in at else None
        others = [value(at[c]) for c in against if c in at and value(at[c])]
        if j is not None and others:
            out.append(j / min(others))
    return out


def plot(script, part):
    """Runs gnuplot on script; says so when gnuplot is not there."""
    try:
        subprocess.run(["gnuplot", "-e", script], check=False, timeout=30)
    except (OSError, subprocess.SubprocessError):
        print(f"{part}: gnuplot not available: no plot")
