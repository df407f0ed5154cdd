#!/usr/bin/env python3
"""The JBSQ experiment's report (benchmarks/scripts/jbsq.sh): reads OUT/DIST-POLICY.csv as `tailguard load --csv`
writes them, computes the M/M/c single-queue ideal analytically, and writes a markdown table (stdout), one SVG plot
per distribution (OUT/DIST-p99.svg) and the target checks of docs/router.md.

usage: jbsq-report.py OUT WORKERS exp=MEAN_US bimodal=MEAN_US
Standard library only.
"""
import csv
import glob
import math
import os
import sys


def erlang_c(c, rho):
    """Probability that an arrival waits in M/M/c at utilisation rho (per server)."""
    a = c * rho
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - rho)
    return last / (total + last)


def mmc_percentile(c, mean_us, rho, q):
    """The q-quantile of the response time (wait + service) of FCFS M/M/c with mean service mean_us at load rho."""
    mu = 1.0 / mean_us
    theta = c * mu * (1 - rho)  # the rate of the wait, given that one waits
    wait = erlang_c(c, rho)

    def survival(t):
        service = math.exp(-mu * t)
        if abs(theta - mu) < 1e-12:
            both = math.exp(-mu * t) * (1 + mu * t)
        else:
            both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1 - wait) * service + wait * both

    low, high = 0.0, mean_us
    while survival(high) > 1 - q:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        if survival(mid) > 1 - q:
            low = mid
        else:
            high = mid
    return high


def read_points(path):
    points = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            points.append({k: row[k] for k in row})
    return points


def svg_plot(path, title, series, ideal, loads):
    """p99 (log scale) against load, one line per policy and the ideal, by hand: no plotting package needed."""
    width, height, left, bottom, top, right = 720, 440, 70, 50, 40, 170
    values = [v for _, ys in series for v in ys if v > 0] + [v for v in ideal if v > 0]
    lo, hi = math.log10(min(values) * 0.8), math.log10(max(values) * 1.2)
    x0, x1 = min(loads), max(loads)

    def x(load):
        return left + (load - x0) / max(x1 - x0, 1) * (width - left - right)

    def y(value):
        return height - bottom - (math.log10(value) - lo) / (hi - lo) * (height - top - bottom)

    colors = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#2ca02c", "#8c564b", "#e377c2"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
           f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">offered load (% of capacity)</text>',
           f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" text-anchor="middle">p99 latency (us, log)</text>']
    for load in loads:
        out.append(f'<text x="{x(load):.1f}" y="{height - bottom + 16}" text-anchor="middle">{load}</text>')
    for exponent in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** exponent
            if lo <= math.log10(v) <= hi:
                out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="#ddd"/>')
                out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    lines = list(series) + [("M/M/c ideal", ideal)]
    for i, (name, ys) in enumerate(lines):
        color = "black" if name.startswith("M/M") else colors[i % len(colors)]
        dash = ' stroke-dasharray="6 4"' if name.startswith("M/M") else ""
        pts = " ".join(f"{x(l):.1f},{y(v):.1f}" for l, v in zip(loads, ys) if v > 0)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        ly = top + 18 * i + 10
        out.append(f'<line x1="{width - right + 12}" y1="{ly}" x2="{width - right + 36}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{width - right + 42}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    out, workers = sys.argv[1], int(sys.argv[2])
    means = dict(arg.split("=") for arg in sys.argv[3:])
    order = ["random", "round-robin", "jsq", "jbsq1", "jbsq2"]
    print(f"Results of `{out}` ({workers} workers; p50/p99 in microseconds; `M/M/{workers}` is the analytic single-queue ideal).\n")
    for dist, mean in means.items():
        files = sorted(glob.glob(os.path.join(out, f"{dist}-*.csv")), key=lambda p: order.index(os.path.basename(p)[len(dist) + 1:-4]) if os.path.basename(p)[len(dist) + 1:-4] in order else 99)
        if not files:
            continue
        mean = float(mean)
        capacity = workers * 1e6 / mean
        table, series, loads = {}, [], None
        for path in files:
            policy = os.path.basename(path)[len(dist) + 1:-4].replace("jbsq", "jbsq:")
            points = read_points(path)
            rows = [(round(float(p["target_rate"]) / capacity * 100), float(p["p50_us"] or 0), float(p["p99_us"] or 0), p) for p in points]
            loads = [r[0] for r in rows]
            table[policy] = rows
            series.append((policy, [r[2] for r in rows]))
        ideal50 = [mmc_percentile(workers, mean, l / 100, 0.50) for l in loads]
        ideal99 = [mmc_percentile(workers, mean, l / 100, 0.99) for l in loads]
        exact = "exact" if dist == "exp" else "at the same mean service time: a reference, the service time is not exponential"
        print(f"### {dist} (mean {mean:g} us, capacity {capacity:.0f} requests/s; M/M/{workers} {exact})\n")
        print("| load | " + " | ".join(f"{p} p50 / p99" for p in table) + f" | M/M/{workers} p50 / p99 |")
        print("| --- |" + " --- |" * (len(table) + 1))
        for i, load in enumerate(loads):
            cells = []
            for rows in table.values():
                _, p50, p99, point = rows[i]
                failed = int(point.get("timeouts") or 0) + int(point.get("drops") or 0)
                cells.append(f"{p50:.0f} / {p99:.0f}" + (f" ({failed} failed)" if failed else ""))
            print(f"| {load}% | " + " | ".join(cells) + f" | {ideal50[i]:.0f} / {ideal99[i]:.0f} |")
        print()
        svg_plot(os.path.join(out, f"{dist}-p99.svg"), f"p99 vs load, {dist} service times, {workers} workers", series, ideal99, loads)
        if 80 in loads and "jbsq:2" in table and "random" in table:
            i = loads.index(80)
            jbsq, rnd, ideal = table["jbsq:2"][i][2], table["random"][i][2], ideal99[i]
            print(f"Targets at 80% ({dist}): JBSQ(2) p99 {jbsq:.0f} us is {jbsq / rnd:.2f}x random's (target <= 0.4: "
                  f"{'met' if jbsq <= 0.4 * rnd else 'NOT met'}) and {jbsq / ideal:.2f}x the M/M/{workers} ideal "
                  f"(target <= 1.5: {'met' if jbsq <= 1.5 * ideal else 'NOT met'}).\n")


if __name__ == "__main__":
    main()
