#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turns the points tests/bench/run collected (see tests/bench/lib.sh for the
line format) into Markdown tables (median over the repeats, with the range and
the load average) and one gnuplot data file per (operation, implementation).

usage: report.py POINTS OUTDIR   -> Markdown on stdout, OUTDIR/OP-IMPL-KIND.dat
"""
import collections
import os
import statistics
import sys

OPS = [("first", "first sync / full load"), ("noop", "no-op (nothing changed)"),
       ("update", "1 % update")]
# backend, then its anchor(s): the order of the rows and of the plot's legend
IMPLS = [
    ("nftables", "cdnallow nftables"),
    ("nft-f", "anchor: `nft -f` of the whole list"),
    ("nft-f-delta", "`nft -f` of a hand-written delta (lower bound)"),
    ("iptables", "cdnallow iptables (ipset)"),
    ("ipset-restore", "anchor: `ipset restore` + swap of the whole list"),
    ("ufw", "cdnallow ufw (ipset mode)"),
    ("ufw-per-rule", "anchor: per-rule `ufw allow` loop"),
    ("firewalld", "cdnallow firewalld"),
    ("firewall-cmd-per-entry", "anchor: per-entry `firewall-cmd` (runtime + permanent)"),
    ("firewall-cmd-file", "`firewall-cmd --add/--remove-entries-from-file` (runtime)"),
]
# backend -> its anchor, for the ratio table
ANCHOR = {"nftables": "nft-f", "iptables": "ipset-restore", "ufw": "ufw-per-rule",
          "firewalld": "firewall-cmd-per-entry"}


def load(path):
    pts = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 7:
                continue
            impl, op, n, s, rss, load1, kind = p
            try:
                pts[(impl, op, int(n))].append((float(s), rss, float(load1), kind))
            except ValueError:
                # a script that died mid-line: its other figures still count
                print("report.py: skipped %r" % line.strip(), file=sys.stderr)
    return pts


def cell(v):
    if not v:
        return ""
    s = [x[0] for x in v]
    med = statistics.median(s)
    kinds = {x[3] for x in v}
    loads = [x[2] for x in v]
    if "t" in kinds:
        return "> %g (timed out)" % max(s)
    txt = ("~%s" if "x" in kinds else "%s") % fmt(med)
    rng = "%s–%s; " % (fmt(min(s)), fmt(max(s))) if len(s) > 1 else ""
    return txt + " (%sload %.1f–%.1f)" % (rng, min(loads), max(loads))


def fmt(x):
    return "%.3g" % x if x < 10 else "%.0f" % x


def main():
    pts = load(sys.argv[1])
    out = sys.argv[2]
    sizes = sorted({k[2] for k in pts})
    impls = [i for i in IMPLS if any(k[0] == i[0] for k in pts)]
    for op, title in OPS:
        if not any(k[1] == op for k in pts):
            continue
        print("#### %s: seconds, median of the runs (min–max; 1-min load average)" % title)
        print()
        print("| implementation | " + " | ".join("%d" % n for n in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for impl, label in impls:
            cells = [cell(pts.get((impl, op, n))) for n in sizes]
            if any(cells):
                print("| %s | %s |" % (label, " | ".join(cells)))
            for kind in ("m", "x"):
                rows = []
                for n in sizes:
                    v = pts.get((impl, op, n))
                    if v and {x[3] for x in v} == {kind}:
                        rows.append("%d %g" % (n, statistics.median(x[0] for x in v)))
                if rows:
                    with open(os.path.join(out, "%s-%s-%s.dat" % (op, impl, kind)), "w") as f:
                        f.write("\n".join(rows) + "\n")
        print()
    print("#### cdnallow / its anchor (median / median; 1/N = cdnallow N times faster)")
    print()
    print("| backend | operation | " + " | ".join("%d" % n for n in sizes) + " |")
    print("|---|---|" + "---:|" * len(sizes))
    for b, a in ANCHOR.items():
        for op, title in OPS:
            cells = []
            for n in sizes:
                vb, va = pts.get((b, op, n)), pts.get((a, op, n))
                # an anchor may be missing at a size (its sample not taken, its script
                # stopped): say so rather than leave the backend's figure unexplained
                if vb and not va:
                    cells.append("no anchor")
                    continue
                if not vb or {x[3] for x in vb + va} & {"t"}:
                    cells.append("")
                    continue
                r = statistics.median(x[0] for x in vb) / max(
                    statistics.median(x[0] for x in va), 1e-3)
                approx = "~" if "x" in {x[3] for x in va} else ""
                # 1/17668 reads better than 5.66e-05: cdnallow that many times faster
                txt = "1/%s" % fmt(1 / r) if r < 1 else "%.3g×" % r
                cells.append(approx + txt)
            if any(cells):
                print("| %s | %s | %s |" % (b, title, " | ".join(cells)))
    print()
    rss = [(impl, n, [int(x[1]) for x in v if x[1] != "-"]) for (impl, op, n), v in
           sorted(pts.items()) if op in ("first", "update") and impl in ("nftables", "nft-f")]
    rss = [r for r in rss if r[2]]
    if rss:
        print("#### peak RSS (MB, median)")
        print()
        print("| implementation | " + " | ".join("%d" % n for n in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for impl, op, label in (("nftables", "first", "cdnallow nftables, first sync"),
                                ("nftables", "update", "cdnallow nftables, 1 % update"),
                                ("nft-f", "first", "`nft -f` full load")):
            cells = []
            for n in sizes:
                v = [int(x[1]) for x in pts.get((impl, op, n), []) if x[1] != "-"]
                cells.append("%.1f" % (statistics.median(v) / 1024) if v else "")
            print("| %s | %s |" % (label, " | ".join(cells)))
        print()
    with open(os.path.join(out, "labels"), "w") as f:
        for impl, label in impls:
            f.write("%s\t%s\n" % (impl, label.replace("`", "")))


main()
