"""Draws docs/grafana/muslin-dashboard.json's panels from a directory of /metrics scrapes.

   render_dashboard.py SCRAPE_DIR OUT.png

Each file SCRAPE_DIR/<epoch ms>.prom is one scrape of a node's /metrics. Each panel's query is
computed as Prometheus would: rate() over a 5 s window of the counters, histogram_quantile() by
linear interpolation in the bucket that holds the rank, and drawn in Grafana's dark colours.
Parsing uses the Prometheus project's Python client (Debian's python3-prometheus-client).
"""
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

WINDOW = 5.0
BG, PANEL, GRID, TEXT = "#111217", "#181b1f", "#2c3235", "#ccccdc"
COLOURS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#ffcb7d"]


def load(directory):
    scrapes = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".prom"):
            continue
        t = int(name[:-5]) / 1000.0
        samples = {}
        with open(os.path.join(directory, name)) as f:
            text = f.read()
        if not text.strip():
            continue
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        scrapes.append((t, samples))
    return scrapes


def series(scrapes, name, by, where=None):
    """{label value: [(t, value)]} of metric `name`, summed by label `by`."""
    out = defaultdict(list)
    for t, samples in scrapes:
        sums = defaultdict(float)
        for (n, labels), v in samples.items():
            d = dict(labels)
            if n == name and (where is None or where(d)):
                sums[d.get(by, "")] += v
        for k, v in sums.items():
            out[k].append((t, v))
    return out


def rate(points):
    out = []
    for i, (t, v) in enumerate(points):
        j = i
        while j > 0 and t - points[j - 1][0] <= WINDOW + 0.5:
            j -= 1
        if j < i and t > points[j][0]:
            out.append((t, max(0.0, v - points[j][1]) / (t - points[j][0])))
    return out


def quantile(scrapes, q, stage):
    """histogram_quantile(q, rate(bucket[5s])) for one stage."""
    buckets = defaultdict(list)
    for t, samples in scrapes:
        for (n, labels), v in samples.items():
            d = dict(labels)
            if n == "muslin_dataplane_stage_latency_seconds_bucket" and d.get("stage") == stage:
                buckets[float(d["le"])].append((t, v))
    rates = {le: dict(rate(p)) for le, p in buckets.items()}
    times = sorted(set().union(*[r.keys() for r in rates.values()])) if rates else []
    out = []
    for t in times:
        bounds = sorted(rates)
        counts = [rates[b].get(t, 0.0) for b in bounds]
        total = counts[-1]
        if total <= 0:
            continue
        rank = q * total
        prev_b, prev_c = 0.0, 0.0
        for b, c in zip(bounds, counts):
            if c >= rank:
                if b == float("inf"):
                    out.append((t, prev_b))
                else:
                    out.append((t, prev_b + (b - prev_b) * (rank - prev_c) / max(c - prev_c, 1e-12)))
                break
            prev_b, prev_c = b, c
    return out


def last(scrapes, name, where=None):
    for t, samples in reversed(scrapes):
        for (n, labels), v in samples.items():
            if n == name and (where is None or where(dict(labels))):
                return v
    return None


def style(ax, title, unit):
    ax.set_facecolor(PANEL)
    ax.set_title(title, color=TEXT, loc="left", fontsize=10)
    ax.tick_params(colors=TEXT, labelsize=7)
    for s in ax.spines.values():
        s.set_color(GRID)
    ax.grid(color=GRID, linewidth=0.5)
    ax.set_ylabel(unit, color=TEXT, fontsize=8)


def plot(ax, lines, t0, scale=1.0):
    for i, (label, pts) in enumerate(sorted(lines.items())):
        if not pts:
            continue
        ax.plot([t - t0 for t, _ in pts], [v * scale for _, v in pts], color=COLOURS[i % len(COLOURS)],
                linewidth=1.2, label=label)
    if lines:
        ax.legend(fontsize=7, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT, loc="upper left")
    ax.set_xlabel("s", color=TEXT, fontsize=7)


def main(directory, png):
    scrapes = load(directory)
    if len(scrapes) < 3:
        sys.exit("too few scrapes in " + directory)
    t0 = scrapes[0][0]
    dashboard = json.load(open(os.path.join(os.path.dirname(__file__), "../../docs/grafana/muslin-dashboard.json")))
    titles = {p["id"]: p["title"] for p in dashboard["panels"]}
    fig = plt.figure(figsize=(16, 11), facecolor=BG)
    fig.suptitle("muslin — node1 (rendered from %d real scrapes of /metrics; same queries as %s)"
                 % (len(scrapes), "docs/grafana/muslin-dashboard.json"), color=TEXT, fontsize=11)
    grid = fig.add_gridspec(4, 6, height_ratios=[3, 3, 3, 1.2], hspace=0.55, wspace=0.45)

    ax = fig.add_subplot(grid[0, 0:3])
    style(ax, titles[1], "Gb/s")
    plot(ax, {k: rate(v) for k, v in series(scrapes, "muslin_dataplane_bytes_total", "point").items()}, t0, 8e-9)
    ax = fig.add_subplot(grid[0, 3:6])
    style(ax, titles[2], "kpkt/s")
    plot(ax, {k: rate(v) for k, v in series(scrapes, "muslin_dataplane_packets_total", "point").items()}, t0, 1e-3)
    ax = fig.add_subplot(grid[1, 0:3])
    style(ax, titles[3], "pkt/s")
    drops = {k: rate(v) for k, v in series(scrapes, "muslin_dataplane_drops_total", "reason").items()}
    plot(ax, {k: v for k, v in drops.items() if any(x > 0 for _, x in v)}, t0)
    ax = fig.add_subplot(grid[1, 3:6])
    style(ax, titles[4], "µs")
    lat = {}
    for stage in ("tun_to_wire", "wire_to_tun"):
        lat["p50 " + stage] = quantile(scrapes, 0.5, stage)
        lat["p99 " + stage] = quantile(scrapes, 0.99, stage)
    plot(ax, lat, t0, 1e6)
    ax = fig.add_subplot(grid[2, 0:3])
    style(ax, titles[5], "Gb/s")
    peers = {}
    for direction in ("tx", "rx"):
        for k, v in series(scrapes, "muslin_dataplane_peer_bytes_total", "peer",
                           lambda d, direction=direction: d.get("direction") == direction).items():
            if any(x for _, x in v):
                peers[k + " " + direction] = rate(v)
    plot(ax, peers, t0, 8e-9)
    ax = fig.add_subplot(grid[2, 3:6])
    style(ax, titles[6], "bytes")
    mtu = series(scrapes, "muslin_dataplane_path_mtu_bytes", "peer")
    mtu["tunnel MTU"] = series(scrapes, "muslin_dataplane_tunnel_mtu_bytes", "").get("", [])
    plot(ax, mtu, t0)

    stats = [
        (titles[7], last(scrapes, "muslin_node_ready"), "{:.0f}"),
        (titles[8], last(scrapes, "muslin_control_up"), "{:.0f}"),
        (titles[9], last(scrapes, "muslin_control_lease_age_seconds"), "{:.0f} s"),
        (titles[10], last(scrapes, "muslin_dataplane_table_entries", lambda d: d.get("table") == "routes"), "{:.0f}"),
        (titles[11], max((v for _, v in series(scrapes, "muslin_capture_running", "").get("", [(0, 0)])), default=0),
         "{:.0f} (max)"),
        (titles[12], None, "{}"),
    ]
    for i, (title, value, fmt) in enumerate(stats):
        ax = fig.add_subplot(grid[3, i])
        ax.set_facecolor(PANEL)
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_color(GRID)
        ax.set_title(title, color=TEXT, loc="left", fontsize=9)
        text = "n/a (static)" if value is None and "Lease" in title else "no hub" if value is None else fmt.format(value)
        ax.text(0.5, 0.4, text, color=COLOURS[0], fontsize=16, ha="center", va="center", transform=ax.transAxes)
    fig.savefig(png, dpi=80, facecolor=BG)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
