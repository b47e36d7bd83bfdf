#!/usr/bin/env python3
"""Draws bench/run.sh's results as one SVG, by hand, with the standard library only.

usage: bench/tools/chart.py SUMMARY.json OUT.svg

SUMMARY.json is what `bench/tools/run_results.py summarize` writes (target/bench/run-<flavor>.json):
{"meta": {...}, "rows": [{"tool", "workload", "connections", "target", "throughput", "vs_direct",
"p50", "p99", ...}, ...]}.

Top row: one panel per workload, grouped bars of median throughput per target for each connection
count (each panel has its own linear scale; labels give the value and the ratio to direct).
Bottom row: the same panels for latency on a log scale: a solid bar up to the median p50 and a
light bar up to the median p99, both labelled.
"""

import json
import math
import sys
from xml.sax.saxutils import escape

COLORS = ["#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"

W = 1260  # canvas width
MARGIN_L, MARGIN_R = 20, 20
PANEL_GAP = 24
AXIS_W = 58  # room for the y tick labels inside each panel
PLOT_H = 250
TITLE_H = 92
LEGEND_H = 34
ROW_HEAD = 30  # a row's heading
PANEL_HEAD = 22  # a panel's title
X_AXIS_H = 44
FOOT_H = 40


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=11, anchor="middle", weight="normal", fill="#222", rotate=None, extra=""):
        tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{tr}{extra}>{escape(str(s))}</text>'
        )

    def rect(self, x, y, w, h, fill, opacity=1.0, stroke=None):
        st = f' stroke="{stroke}" stroke-width="0.8"' if stroke else ""
        op = f' fill-opacity="{opacity}"' if opacity != 1.0 else ""
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{fill}"{op}{st}/>')

    def line(self, x1, y1, x2, y2, stroke="#444", width=1.0, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"{d}/>')


def nice_max(v):
    """A round upper bound >= v for a linear axis, and its tick step."""
    if v <= 0:
        return 1.0, 0.2
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            top = m * exp
            break
    for n in (5, 4, 6, 3):
        step = top / n
        if abs(step / (10 ** math.floor(math.log10(step))) - round(step / (10 ** math.floor(math.log10(step))), 1)) < 1e-9:
            return top, step
    return top, top / 5


def fmt_rate(v):
    if v >= 100_000:
        return f"{v / 1000:.0f}k"
    if v >= 10_000:
        return f"{v / 1000:.1f}k"
    if v >= 1000:
        return f"{v / 1000:.2f}k"
    return f"{v:.0f}"


def fmt_tick_rate(v):
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def fmt_us(v):
    if v < 1000:
        return f"{v:.0f}µs"
    if v < 10_000:
        return f"{v / 1000:.1f}ms"
    return f"{v / 1000:.0f}ms"


def fmt_tick_us(v):
    if v < 1000:
        return f"{v:g} µs"
    if v < 1_000_000:
        return f"{v / 1000:g} ms"
    return f"{v / 1e6:g} s"


def draw(summary):
    meta, rows = summary["meta"], summary["rows"]
    targets = [t[0] for t in meta["targets"]]
    present = {r["target"] for r in rows}
    targets = [t for t in targets if t in present] + sorted(present - set(targets))
    color = {t: COLORS[i % len(COLORS)] for i, t in enumerate(targets)}
    workloads = []
    for r in rows:
        w = (r["tool"], r["workload"])
        if w not in workloads:
            workloads.append(w)
    conns = sorted({r["connections"] for r in rows})
    cell = {(r["tool"], r["workload"], r["connections"], r["target"]): r for r in rows}

    ncols = max(len(workloads), 1)
    panel_w = (W - MARGIN_L - MARGIN_R - PANEL_GAP * (ncols - 1)) / ncols
    plot_w = panel_w - AXIS_W
    row_h = ROW_HEAD + PANEL_HEAD + PLOT_H + X_AXIS_H
    H = TITLE_H + LEGEND_H + 2 * row_h + FOOT_H

    svg = Svg()
    svg.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H:.0f}" viewBox="0 0 {W} {H:.0f}" '
        f'font-family="{FONT}">'
    )
    svg.rect(0, 0, W, H, "#ffffff")

    # Title and subtitle.
    title = f"sluice benchmark: direct vs sluice vs peers ({meta['flavor']})"
    if meta.get("label"):
        title += f" — {meta['label']}"
    svg.text(W / 2, 30, title, size=20, weight="bold")
    rounds = meta.get("rounds", 0)
    sub = (
        f"{meta.get('date', '')} · {meta.get('server', '')} · {meta.get('cores', '?')} cores (client, servers and proxies share them) · "
        f"{rounds} interleaved round{'s' if rounds != 1 else ''} × {meta.get('seconds', '?')} s per run · medians of rounds"
    )
    svg.text(W / 2, 52, sub, size=12, fill="#444")
    svg.text(W / 2, 70, "closed loop; a request is one query for point-select, one 20-statement transaction for read-write", size=11, fill="#666")

    # Legend: targets, then the latency bar key.
    items = [(t, color[t], 1.0) for t in targets]
    widths = [24 + 8.2 * len(t) + 22 for t in targets]
    key = [("p50 (solid)", "#555", 1.0), ("p99 (light)", "#555", 0.3)]
    key_w = [24 + 7.4 * len(k[0]) + 22 for k in key]
    total = sum(widths) + 90 + sum(key_w)
    x = (W - total) / 2
    y = TITLE_H + 8
    for (name, c, op), w in zip(items, widths):
        svg.rect(x, y, 14, 14, c, op)
        svg.text(x + 20, y + 12, name, size=13, anchor="start")
        x += w
    x += 90
    svg.text(x - 8, y + 12, "latency:", size=12, anchor="end", fill="#444")
    for (name, c, op), w in zip(key, key_w):
        svg.rect(x, y, 14, 14, c, op)
        svg.text(x + 20, y + 12, name, size=12, anchor="start", fill="#444")
        x += w

    def group_geometry(px):
        gw = plot_w / max(len(conns), 1)
        area = gw * 0.82
        bw = area / max(len(targets), 1)
        return gw, area, bw

    def x_axis(px, py0, name_fn):
        gw, _, _ = group_geometry(px)
        for gi, c in enumerate(conns):
            gx = px + AXIS_W + gi * gw + gw / 2
            svg.text(gx, py0 + 16, name_fn(c), size=12)
            if gi:
                svg.line(px + AXIS_W + gi * gw, py0, px + AXIS_W + gi * gw, py0 + 6, "#999")
        svg.text(px + AXIS_W + plot_w / 2, py0 + 34, "client connections", size=11, fill="#555")

    # Row 1: throughput.
    top1 = TITLE_H + LEGEND_H
    svg.text(MARGIN_L, top1 + 20, "Throughput (requests/s, median of rounds; label: value and ratio to direct)", size=14, anchor="start", weight="bold")
    for wi, (tool, wl) in enumerate(workloads):
        px = MARGIN_L + wi * (panel_w + PANEL_GAP)
        py = top1 + ROW_HEAD + PANEL_HEAD
        svg.text(px + AXIS_W + plot_w / 2, py - 8, f"{tool} {wl}", size=13, weight="bold")
        vals = [cell[k]["throughput"] for k in cell if k[0] == tool and k[1] == wl]
        top, step = nice_max(max(vals) * 1.22 if vals else 1)
        y_of = lambda v: py + PLOT_H - v / top * PLOT_H  # noqa: E731
        n = int(round(top / step))
        for i in range(n + 1):
            v = i * step
            y = y_of(v)
            svg.line(px + AXIS_W, y, px + AXIS_W + plot_w, y, "#e3e3e3" if i else "#444", 1)
            svg.text(px + AXIS_W - 6, y + 4, fmt_tick_rate(v), size=11, anchor="end", fill="#444")
        svg.line(px + AXIS_W, py, px + AXIS_W, py + PLOT_H, "#444")
        svg.text(px + 12, py + PLOT_H / 2, "requests/s", size=11, rotate=-90, fill="#555")
        gw, area, bw = group_geometry(px)
        rotate = bw < 24
        for gi, c in enumerate(conns):
            gx0 = px + AXIS_W + gi * gw + (gw - area) / 2
            for ti, t in enumerate(targets):
                r = cell.get((tool, wl, c, t))
                if not r:
                    continue
                bx = gx0 + ti * bw + 1.5
                y = y_of(r["throughput"])
                svg.rect(bx, y, bw - 3, py + PLOT_H - y, color[t])
                cx = bx + (bw - 3) / 2
                label = fmt_rate(r["throughput"])
                ratio = f"{r['vs_direct']:.2f}×" if t != "direct" and r.get("vs_direct") is not None else None
                if rotate:
                    s = label + (f" ({ratio})" if ratio else "")
                    svg.text(cx + 3.5, y - 4, s, size=10, anchor="start", rotate=-90)
                else:
                    if ratio:
                        svg.text(cx, y - 15, label, size=10)
                        svg.text(cx, y - 4, ratio, size=10, weight="bold", fill=color[t])
                    else:
                        svg.text(cx, y - 4, label, size=10)
        x_axis(px, py + PLOT_H, lambda c: f"{c} conn{'s' if c != 1 else ''}")

    # Row 2: latency, log scale.
    top2 = top1 + row_h
    svg.text(MARGIN_L, top2 + 20, "Latency per request (µs, log scale; median over rounds of each run's p50 and p99)", size=14, anchor="start", weight="bold")
    for wi, (tool, wl) in enumerate(workloads):
        px = MARGIN_L + wi * (panel_w + PANEL_GAP)
        py = top2 + ROW_HEAD + PANEL_HEAD
        svg.text(px + AXIS_W + plot_w / 2, py - 8, f"{tool} {wl}", size=13, weight="bold")
        rs = [cell[k] for k in cell if k[0] == tool and k[1] == wl]
        lo = min((r["p50"] for r in rs if r["p50"]), default=10)
        hi = max((r["p99"] for r in rs if r["p99"]), default=1000)
        lo_e = math.floor(math.log10(max(lo, 1)) - 0.05)
        hi_v = math.log10(max(hi, 1)) + 0.22  # headroom for the labels
        hi_e = math.ceil(hi_v)
        ymin, ymax = lo_e, hi_v if hi_v > lo_e + 1 else lo_e + 1
        y_of = lambda v: py + PLOT_H - (math.log10(max(v, 10**ymin)) - ymin) / (ymax - ymin) * PLOT_H  # noqa: E731
        decades = hi_e - lo_e
        mults = (1, 2, 5) if decades <= 3 else (1,)
        for e in range(lo_e, hi_e + 1):
            for m in mults:
                v = m * 10**e
                if math.log10(v) > ymax + 1e-9:
                    continue
                y = y_of(v)
                svg.line(px + AXIS_W, y, px + AXIS_W + plot_w, y, "#444" if v == 10**ymin else ("#d5d5d5" if m == 1 else "#eeeeee"), 1)
                svg.text(px + AXIS_W - 6, y + 4, fmt_tick_us(v), size=11 if m == 1 else 10, anchor="end", fill="#444" if m == 1 else "#777")
        svg.line(px + AXIS_W, py, px + AXIS_W, py + PLOT_H, "#444")
        svg.text(px + 12, py + PLOT_H / 2, "latency (log)", size=11, rotate=-90, fill="#555")
        gw, area, bw = group_geometry(px)
        rotate = bw < 30
        base = py + PLOT_H
        for gi, c in enumerate(conns):
            gx0 = px + AXIS_W + gi * gw + (gw - area) / 2
            for ti, t in enumerate(targets):
                r = cell.get((tool, wl, c, t))
                if not r:
                    continue
                bx = gx0 + ti * bw + 1.5
                w = bw - 3
                cx = bx + w / 2
                y99, y50 = y_of(r["p99"]), y_of(r["p50"])
                svg.rect(bx, y99, w, base - y99, color[t], 0.3)
                svg.rect(bx, y50, w, base - y50, color[t])
                if rotate:
                    svg.text(cx + 3.5, y99 - 4, f"{fmt_us(r['p50'])} / {fmt_us(r['p99'])}", size=10, anchor="start", rotate=-90)
                else:
                    l50 = y50 - 3 if y50 - 3 < base - 12 else base - 14
                    svg.text(cx, l50, fmt_us(r["p50"]), size=10, weight="bold", fill="#fff" if l50 > y50 + 2 else "#111")
                    svg.text(cx, min(y99 - 3, l50 - 12), fmt_us(r["p99"]), size=10, fill="#333")
        x_axis(px, py + PLOT_H, lambda c: f"{c} conn{'s' if c != 1 else ''}")

    # Footer: the command.
    svg.text(MARGIN_L, H - 16, f"Command: {meta.get('command', '')}", size=11, anchor="start", fill="#444")
    svg.text(W - MARGIN_R, H - 16, "table: bench/results/run-%s.md" % meta["flavor"], size=11, anchor="end", fill="#444")
    svg.add("</svg>")
    return "\n".join(svg.parts) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench/tools/chart.py SUMMARY.json OUT.svg")
    with open(sys.argv[1]) as f:
        summary = json.load(f)
    out = draw(summary)
    with open(sys.argv[2], "w") as f:
        f.write(out)


if __name__ == "__main__":
    main()
