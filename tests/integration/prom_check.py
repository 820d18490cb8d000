#!/usr/bin/env python3
"""Check a Prometheus text exposition (format 0.0.4) read from stdin or a file.

Checks the format rules (metric and label names, label value escapes, sample values,
HELP/TYPE at most once per family and before its samples, samples of a family contiguous,
no duplicate series, summary/histogram suffixes) and jetwire's conventions (jetwire_ prefix,
HELP and TYPE for every family, counters end in _total). Exit 0 when clean, else 1 with
one line per problem.
"""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r'(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)'
SAMPLE = re.compile(r'^(' + NAME + r')(\{(?:' + LABEL + '=' + LVALUE + r'(?:,' + LABEL + '=' +
                    LVALUE + r')*,?)?\})? (' + VALUE + r')(?: -?\d+)?$')
LABEL_RE = re.compile('(' + LABEL + ')=(' + LVALUE + ')')
TYPES = {'counter', 'gauge', 'summary', 'histogram', 'untyped'}


def family_of(name, types):
    for suffix in ('_sum', '_count', '_bucket'):
        if name.endswith(suffix) and name[:-len(suffix)] in types:
            base = name[:-len(suffix)]
            if types[base] in ('summary', 'histogram'):
                return base
    return name


def check(text):
    errs = []
    types, helps, seen_series = {}, {}, set()
    done_families, current = set(), None
    if not text.endswith('\n'):
        errs.append('input does not end with a newline')
    for no, line in enumerate(text.split('\n')[:-1], 1):
        if line == '':
            continue
        if line.startswith('#'):
            m = re.match(r'^# (HELP|TYPE) (' + NAME + r') ?(.*)$', line)
            if not m:
                continue  # a plain comment
            kind, name, rest = m.groups()
            table = helps if kind == 'HELP' else types
            if name in table:
                errs.append(f'{no}: second {kind} for {name}')
            if name in done_families or name in seen_family_samples:
                errs.append(f'{no}: {kind} for {name} after its samples')
            if kind == 'TYPE':
                if rest not in TYPES:
                    errs.append(f'{no}: unknown type {rest!r}')
                table[name] = rest
            else:
                if rest == '':
                    errs.append(f'{no}: empty HELP for {name}')
                table[name] = rest
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append(f'{no}: malformed sample line: {line!r}')
            continue
        name, labels, value = m.group(1), m.group(2) or '', m.group(3)
        fam = family_of(name, types)
        if fam != current:
            if fam in done_families:
                errs.append(f'{no}: samples of {fam} are not contiguous')
            if current is not None:
                done_families.add(current)
            current = fam
            seen_family_samples.clear()
        seen_family_samples.add(fam)
        if fam not in types:
            errs.append(f'{no}: sample of {fam} before (or without) its TYPE line')
        if fam not in helps:
            errs.append(f'{no}: {fam} has no HELP line')
        if not fam.startswith('jetwire_'):
            errs.append(f'{no}: {fam} lacks the jetwire_ prefix')
        t = types.get(fam)
        if t == 'counter' and not fam.endswith('_total'):
            errs.append(f'{no}: counter {fam} does not end in _total')
        names = [k for k, _ in LABEL_RE.findall(labels)]
        if len(set(names)) != len(names):
            errs.append(f'{no}: repeated label name in {line!r}')
        if any(n.startswith('__') for n in names):
            errs.append(f'{no}: reserved label name in {line!r}')
        if t == 'summary' and name == fam:
            q = dict(LABEL_RE.findall(labels)).get('quantile')
            if q is None:
                errs.append(f'{no}: summary sample without quantile label')
            elif not 0.0 <= float(q.strip('"')) <= 1.0:
                errs.append(f'{no}: quantile {q} out of [0, 1]')
        if t == 'counter' and float(value) < 0:
            errs.append(f'{no}: negative counter value')
        key = (name, tuple(sorted(LABEL_RE.findall(labels))))
        if key in seen_series:
            errs.append(f'{no}: duplicate series {line!r}')
        seen_series.add(key)
    for fam, t in types.items():
        if t == 'summary':
            for suffix in ('_sum', '_count'):
                if not any(k[0] == fam + suffix for k in seen_series):
                    errs.append(f'summary {fam} lacks {fam}{suffix}')
    if not seen_series:
        errs.append('no samples at all')
    return errs


seen_family_samples = set()

if __name__ == '__main__':
    data = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    problems = check(data)
    for p in problems:
        print('prom_check:', p)
    sys.exit(1 if problems else 0)
