#!/usr/bin/env python3
"""The JBSQ experiment's report (benchmarks/scripts/jbsq.sh): reads OUT/DIST-POLICY.csv as `tailguard load --csv`
writes them and OUT/DIST-POLICY.service (the server's "service time:" line: what the workers really held), computes
the single-queue ideal, and writes a markdown table (stdout), one SVG plot per distribution (OUT/DIST-p99.svg) and the
target checks of docs/router.md.

The ideal is FCFS M/G/c: c workers behind one central queue, Poisson arrivals. For exponential service times that is
M/M/c, computed analytically (Erlang C); for any other distribution it is simulated (mgc_percentiles, seeded, so a
report repeats). Each ideal is given at the offered load and, when the server's line is there, at the load the
workers carried: the achieved rate times the mean held time, over c.

usage: jbsq-report.py OUT WORKERS DIST=MODEL ...   MODEL: exp:MEAN_US or bimodal:SHARE:A_US:B_US (a bare MEAN_US is exp)
Standard library only. Tests: python3 -m unittest discover -s benchmarks/scripts -p 'test_*.py'
"""
import heapq
import random
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


def parse_model(text):
    """exp:MEAN_US, bimodal:SHARE:A_US:B_US or MEAN_US: (kind, mean_us, sampler(rng) -> us)."""
    parts = text.split(":")
    if len(parts) == 1 or parts[0] == "exp":
        mean = float(parts[-1])
        return "exp", mean, lambda rng: rng.expovariate(1.0 / mean)
    if parts[0] == "bimodal" and len(parts) == 4:
        share, a, b = float(parts[1]), float(parts[2]), float(parts[3])
        share = share / 100 if share > 1 else share
        return "bimodal", share * a + (1 - share) * b, lambda rng: a if rng.random() < share else b
    if parts[0] == "fixed" and len(parts) == 2:
        value = float(parts[1])
        return "fixed", value, lambda rng: value
    raise ValueError(f"not a service-time model: {text} (exp:MEAN_US, bimodal:SHARE:A_US:B_US or fixed:US)")


def mgc_percentiles(c, sampler, mean_us, rho, quantiles, n=300_000, seed=1):
    """The quantiles of the response time (wait + service) of FCFS M/G/c at load rho, by simulation: Poisson arrivals
    at rho * c / mean_us, each taken by the first worker to be free. The first tenth of the requests warm it up."""
    rng = random.Random(seed)
    rate = rho * c / mean_us
    free = [0.0] * c  # when each worker is next free, as a heap
    now, times, warm = 0.0, [], n // 10
    for i in range(n):
        now += rng.expovariate(rate)
        start = max(now, heapq.heappop(free))
        end = start + sampler(rng)
        heapq.heappush(free, end)
        if i >= warm:
            times.append(end - now)
    times.sort()
    return [times[min(len(times) - 1, int(q * len(times)))] for q in quantiles]


def ideal(c, model, rho, quantiles):
    """The single-queue ideal's quantiles for a service-time model at load rho (analytic for exp, else simulated)."""
    kind, mean, sampler = model
    if rho >= 1:
        return [float("inf")] * len(quantiles)
    if kind == "exp":
        return [mmc_percentile(c, mean, rho, q) for q in quantiles]
    return mgc_percentiles(c, sampler, mean, rho, quantiles)


def read_service(path):
    """The held and drawn means (us) from a "service time:" line, or None."""
    try:
        with open(path) as f:
            line = f.read()
    except OSError:
        return None
    words = line.split()
    try:
        return {"drawn": float(words[words.index("drawn") + 2]), "held": float(words[words.index("held") + 2])}
    except (ValueError, IndexError):
        return None


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
    models = {name: parse_model(spec) for name, spec in (arg.split("=", 1) for arg in sys.argv[3:])}
    order = ["random", "round-robin", "jsq", "jbsq1", "jbsq2"]
    print(f"Results of `{out}` ({workers} workers; p50/p99 in microseconds; the ideal is one central queue, FCFS, {workers} workers: "
          f"M/M/{workers} computed for exponential service times, M/G/{workers} simulated for the others).\n")
    for dist, model in models.items():
        kind, mean, _ = model
        files = sorted(glob.glob(os.path.join(out, f"{dist}-*.csv")), key=lambda p: order.index(os.path.basename(p)[len(dist) + 1:-4]) if os.path.basename(p)[len(dist) + 1:-4] in order else 99)
        if not files:
            continue
        capacity = workers * 1e6 / mean
        table, series, loads, carried = {}, [], None, {}
        for path in files:
            policy = os.path.basename(path)[len(dist) + 1:-4].replace("jbsq", "jbsq:")
            points = read_points(path)
            rows = [(round(float(p["target_rate"]) / capacity * 100), float(p["p50_us"] or 0), float(p["p99_us"] or 0), p) for p in points]
            loads = [r[0] for r in rows]
            table[policy] = rows
            series.append((policy, [r[2] for r in rows]))
            service = read_service(path[:-4] + ".service")
            if service:
                carried[policy] = [float(p["achieved_rate"] or 0) * service["held"] / 1e6 / workers for p in points]
                carried[policy + " held"] = service
        name = f"M/M/{workers}" if kind == "exp" else f"M/G/{workers}"
        ideals = [ideal(workers, model, l / 100, (0.5, 0.99)) for l in loads]
        ideal99 = [i[1] for i in ideals]
        print(f"### {dist} ({kind}, mean {mean:g} us, capacity {capacity:.0f} requests/s; ideal {name}"
              f"{'' if kind == 'exp' else ', simulated with this distribution'})\n")
        print("| load | " + " | ".join(f"{p} p50 / p99" for p in table) + f" | {name} p50 / p99 |")
        print("| --- |" + " --- |" * (len(table) + 1))
        for i, load in enumerate(loads):
            cells = []
            for rows in table.values():
                _, p50, p99, point = rows[i]
                failed = int(point.get("timeouts") or 0) + int(point.get("drops") or 0)
                checks = "" if point.get("passed", "true") == "true" else " ✗"
                cells.append(f"{p50:.0f} / {p99:.0f}" + (f" ({failed} failed)" if failed else "") + checks)
            print(f"| {load}% | " + " | ".join(cells) + f" | {ideals[i][0]:.0f} / {ideals[i][1]:.0f} |")
        print("\n✗: the point failed a self-check of `tailguard load` (its numbers measure the machine, not the policy).\n")
        for policy, rows in table.items():
            # A generator stalled for X ms sends the X ms of requests at once; at load rho the queue takes
            # X rho / (1 - rho) to drain that backlog, so the sender's lateness shows in every policy's tail.
            late = ", ".join(f"{float(r[3].get('lateness_p99_us') or 0):.0f} / {float(r[3].get('lateness_max_us') or 0):.0f}" for r in rows)
            line = f"- {policy}: sender lateness p99 / max {late} us"
            if policy + " held" in carried:
                held = carried[policy + " held"]
                line += (f"; the workers held {held['held']:.1f} us on average for {held['drawn']:.1f} us drawn "
                         f"({held['held'] / held['drawn'] - 1:+.1%}); carried load " + ", ".join(f"{c * 100:.1f}%" for c in carried[policy]))
            print(line)
        print()
        svg_plot(os.path.join(out, f"{dist}-p99.svg"), f"p99 vs load, {dist} service times, {workers} workers", series, ideal99, loads)
        if 80 in loads and "jbsq:2" in table and "random" in table:
            i = loads.index(80)
            jbsq, rnd, best = table["jbsq:2"][i][2], table["random"][i][2], ideal99[i]
            print(f"Targets at 80% ({dist}): JBSQ(2) p99 {jbsq:.0f} us is {jbsq / rnd:.2f}x random's (target <= 0.4: "
                  f"{'met' if jbsq <= 0.4 * rnd else 'NOT met'}) and {jbsq / best:.2f}x the {name} ideal "
                  f"(target <= 1.5: {'met' if jbsq <= 1.5 * best else 'NOT met'}).")
            if kind != "exp":
                mm = mmc_percentile(workers, mean, 0.8, 0.99)
                print(f"  Against M/M/{workers} at the same mean ({mm:.0f} us, a reference only: this distribution's variance "
                      f"is not the exponential's) it is {jbsq / mm:.2f}x.")
            if "jbsq:2" in carried:
                rho = carried["jbsq:2"][i]
                at = ideal(workers, model, rho, (0.99,))[0]
                print(f"  At the load the workers carried under JBSQ(2) ({rho * 100:.1f}%) the ideal p99 is {at:.0f} us: JBSQ(2) is {jbsq / at:.2f}x that.")
            print()


if __name__ == "__main__":
    main()
