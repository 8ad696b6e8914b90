#!/usr/bin/python3
"""Summarises a bench-iperf.sh run: reads OUT/runs/*/ (iperf3 JSON, ping output, CPU ticks,
idle RSS), prints a markdown table with ratios to the kernel's VXLAN of the same run, writes
OUT/bench.json and, with --chart, a PNG with throughput and latency side by side.

Each dataplane may have run several times (--rounds): the table shows the median of its runs
and the JSON keeps every run.
"""
import argparse
import json
import os
import re
import statistics
import sys

NAMES = {
    "muslin": "muslin VXLAN",
    "ipip": "muslin IP-in-IP",
    "hostgw": "muslin host-gw",
    "kernel": "kernel VXLAN (flannel.1)",
    "routing": "plain routing",
}
PING_TIME = re.compile(r"icmp_seq=\d+ .*time=([0-9.]+) ms")


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def percentile(values, p):
    """The p-th percentile (nearest rank) of values, or None."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def tcp(run_dir, name, clk_tck):
    d = load_json(os.path.join(run_dir, name + ".json"))
    if not d or "end" not in d or "error" in d:
        return None
    end = d["end"]
    received = end.get("sum_received", {})
    sent = end.get("sum_sent", {})
    out = {
        "gbps": received.get("bits_per_second", 0) / 1e9,
        "retransmits": sent.get("retransmits"),
        "bytes": received.get("bytes", 0),
    }
    out.update(cpu(run_dir, name, out["bytes"], clk_tck))
    return out


def cpu(run_dir, name, received_bytes, clk_tck):
    ticks = read_text(os.path.join(run_dir, name + ".ticks"))
    if ticks is None or not received_bytes:
        return {}
    seconds = int(ticks.strip()) / clk_tck
    if seconds == 0:
        return {}
    return {"daemon_cpu_s": seconds, "cpu_s_per_gb": seconds / (received_bytes / 1e9)}


def udp(run_dir, clk_tck):
    d = load_json(os.path.join(run_dir, "udp64.json"))
    if not d or "end" not in d or "error" in d:
        return None
    s = d["end"].get("sum_received") or d["end"].get("sum", {})
    seconds = s.get("seconds") or 1
    delivered = s.get("packets", 0) - s.get("lost_packets", 0)
    out = {"delivered_pps": delivered / seconds, "sent_packets": s.get("packets"),
           "lost_percent": s.get("lost_percent")}
    out.update(cpu(run_dir, "udp64", s.get("bytes", 0), clk_tck))
    return out


def ping(run_dir, name):
    text = read_text(os.path.join(run_dir, name + ".txt"))
    if text is None:
        return None
    times = [float(m.group(1)) for m in PING_TIME.finditer(text)]
    if not times:
        return {"samples": 0}
    return {"samples": len(times), "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
            "max_ms": max(times), "mean_ms": statistics.fmean(times)}


def rss(run_dir):
    text = read_text(os.path.join(run_dir, "rss.txt"))
    if text is None:
        return None
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields = value.split()
        if fields:
            out[key.strip()] = int(fields[0])
    peers = read_text(os.path.join(run_dir, "rss-peers.txt"))
    return {"rss_mib": out.get("VmRSS", 0) / 1024.0, "hwm_mib": out.get("VmHWM", 0) / 1024.0,
            "threads": out.get("Threads"), "peers_listed": int(peers) if peers and peers.strip().isdigit() else None}


def collect(out_dir, clk_tck):
    runs = []
    runs_dir = os.path.join(out_dir, "runs")
    for entry in sorted(os.listdir(runs_dir)):
        d = os.path.join(runs_dir, entry)
        dataplane = read_text(os.path.join(d, "dataplane"))
        if dataplane is None:
            continue
        run = {"dataplane": dataplane.strip(), "round": int(read_text(os.path.join(d, "round")) or 1),
               "dir": os.path.relpath(d, out_dir)}
        for name in ("tcp1", "tcp4"):
            r = tcp(d, name, clk_tck)
            if r:
                run[name] = r
        r = udp(d, clk_tck)
        if r:
            run["udp64"] = r
        for name in ("ping-start", "ping-5hz", "ping-1khz"):
            r = ping(d, name)
            if r:
                run[name] = r
        r = rss(d)
        if r:
            run["rss"] = r
        runs.append(run)
    return runs


# (key in the summary, path into a run, format)
FIGURES = [
    ("tcp1_gbps", ("tcp1", "gbps")),
    ("tcp1_retransmits", ("tcp1", "retransmits")),
    ("tcp4_gbps", ("tcp4", "gbps")),
    ("tcp4_retransmits", ("tcp4", "retransmits")),
    ("udp64_kpps", ("udp64", "delivered_pps"), 1e-3),
    ("ping5_p50_ms", ("ping-5hz", "p50_ms")),
    ("ping5_p99_ms", ("ping-5hz", "p99_ms")),
    ("ping1k_p50_ms", ("ping-1khz", "p50_ms")),
    ("ping1k_p99_ms", ("ping-1khz", "p99_ms")),
    ("ping_start_mean_ms", ("ping-start", "mean_ms")),
    ("ping_start_max_ms", ("ping-start", "max_ms")),
    ("cpu_s_per_gb_tcp1", ("tcp1", "cpu_s_per_gb")),
    ("cpu_s_per_gb_tcp4", ("tcp4", "cpu_s_per_gb")),
    ("rss_mib", ("rss", "rss_mib")),
]


def summarise(runs):
    by = {}
    for run in runs:
        by.setdefault(run["dataplane"], []).append(run)
    summary = {}
    for dataplane, rs in by.items():
        s = {"runs": len(rs)}
        for fig in FIGURES:
            key, path = fig[0], fig[1]
            scale = fig[2] if len(fig) > 2 else 1
            values = []
            for r in rs:
                v = r.get(path[0], {}).get(path[1])
                if v is not None:
                    values.append(v * scale)
            if values:
                s[key] = statistics.median(values)
                s[key + "_all"] = values
        summary[dataplane] = s
    return summary


def fmt(v, digits=2):
    if v is None:
        return "n/a"
    if isinstance(v, int):
        return str(v)
    return ("%." + str(digits) + "f") % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def table(summary, order):
    k = summary.get("kernel", {})
    lines = [
        "| dataplane | runs | 1 stream Gb/s (×kernel) | retr | 4 streams Gb/s (×kernel) | retr | UDP 64 B kpps (×kernel)"
        " | ping 5 Hz p50 / p99 ms (×kernel) | 1 kHz p50 / p99 ms (×kernel p99) | first 20 pings mean / max ms"
        " | CPU s/GB 1 / 4 streams | idle RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dp in order:
        s = summary[dp]
        base = dp.split("@")[0]
        name = NAMES.get(base, base) + (" @" + dp.split("@")[1] if "@" in dp else "")

        def cell(key, digits=2, vs=True):
            v = s.get(key)
            r = ratio(v, k.get(key)) if vs and dp != "kernel" else None
            return fmt(v, digits) + (" (%.2f)" % r if r is not None else "")

        retr = lambda key: fmt(int(s[key]) if key in s else None)
        p5 = "%s / %s" % (fmt(s.get("ping5_p50_ms"), 3), fmt(s.get("ping5_p99_ms"), 3))
        r50, r99 = ratio(s.get("ping5_p50_ms"), k.get("ping5_p50_ms")), ratio(s.get("ping5_p99_ms"), k.get("ping5_p99_ms"))
        if dp != "kernel" and r50 is not None and r99 is not None:
            p5 += " (%.1f× / %.1f×)" % (r50, r99)
        p1 = "%s / %s" % (fmt(s.get("ping1k_p50_ms"), 3), fmt(s.get("ping1k_p99_ms"), 3))
        r1 = ratio(s.get("ping1k_p99_ms"), k.get("ping1k_p99_ms"))
        if dp != "kernel" and r1 is not None:
            p1 += " (%.1f×)" % r1
        start = "%s / %s" % (fmt(s.get("ping_start_mean_ms"), 3), fmt(s.get("ping_start_max_ms"), 3))
        cpu = "%s / %s" % (fmt(s.get("cpu_s_per_gb_tcp1")), fmt(s.get("cpu_s_per_gb_tcp4")))
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, s["runs"], cell("tcp1_gbps"), retr("tcp1_retransmits"), cell("tcp4_gbps"),
            retr("tcp4_retransmits"), cell("udp64_kpps", 0), p5, p1, start, cpu, fmt(s.get("rss_mib"), 1)))
    return "\n".join(lines)


def chart(summary, order, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [NAMES.get(dp.split("@")[0], dp).replace(" (flannel.1)", "") + ("\n@" + dp.split("@")[1] if "@" in dp else "")
              for dp in order]
    x = range(len(order))
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 5.2))
    w = 0.38

    def series(key):
        return [summary[dp].get(key) or 0 for dp in order]

    def spread(key):
        lo, hi = [], []
        for dp in order:
            vals = summary[dp].get(key + "_all") or [0]
            med = summary[dp].get(key) or 0
            lo.append(med - min(vals))
            hi.append(max(vals) - med)
        return [lo, hi]

    ax1.bar([i - w / 2 for i in x], series("tcp1_gbps"), w, yerr=spread("tcp1_gbps"), label="1 stream", capsize=3)
    ax1.bar([i + w / 2 for i in x], series("tcp4_gbps"), w, yerr=spread("tcp4_gbps"), label="4 streams", capsize=3)
    ax1.set_title("iperf3 TCP (Gb/s, higher is better)")
    ax1.set_xticks(list(x))
    ax1.set_xticklabels(labels, fontsize=8)
    ax1.legend()
    ax1.grid(axis="y", alpha=0.3)

    ax2.bar(list(x), series("udp64_kpps"), 0.6, yerr=spread("udp64_kpps"), color="tab:green", capsize=3)
    ax2.set_title("UDP 64-byte datagrams delivered (kpps)")
    ax2.set_xticks(list(x))
    ax2.set_xticklabels(labels, fontsize=8)
    ax2.grid(axis="y", alpha=0.3)

    q = 0.2
    for j, (key, lab) in enumerate([("ping5_p50_ms", "5 Hz p50"), ("ping5_p99_ms", "5 Hz p99"),
                                    ("ping1k_p50_ms", "1 kHz p50"), ("ping1k_p99_ms", "1 kHz p99")]):
        ax3.bar([i + (j - 1.5) * q for i in x], [v * 1000 for v in series(key)], q, label=lab)
    ax3.set_yscale("log")
    ax3.set_title("ping pod to pod (µs, log scale, lower is better)")
    ax3.set_xticks(list(x))
    ax3.set_xticklabels(labels, fontsize=8)
    ax3.legend(fontsize=8)
    ax3.grid(axis="y", alpha=0.3, which="both")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=int, required=True)
    ap.add_argument("--clk-tck", type=int, default=100)
    ap.add_argument("--cpu", default="unknown")
    ap.add_argument("--nproc", type=int, default=0)
    ap.add_argument("--kernel", default="")
    ap.add_argument("--commit", default="")
    ap.add_argument("--peers", type=int, default=0)
    ap.add_argument("--chart")
    a = ap.parse_args()

    runs = collect(a.out, a.clk_tck)
    if not runs:
        print("no runs in " + a.out, file=sys.stderr)
        return 1
    order = []
    for r in runs:
        if r["dataplane"] not in order:
            order.append(r["dataplane"])
    summary = summarise(runs)
    doc = {
        "benchmark": "bench-iperf.sh: pod1 -> pod2, 2-node lab, veth/bridge underlay, MTU 1500",
        "duration_s": a.duration,
        "machine": {"cpu": a.cpu, "nproc": a.nproc, "kernel": a.kernel},
        "commit": a.commit,
        "idle_rss_peers": a.peers,
        "summary": summary,
        "runs": runs,
    }
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
    header = "%d s per throughput test; CPU %s, nproc %d, kernel %s, commit %s; medians of each dataplane's runs" % (
        a.duration, a.cpu, a.nproc, a.kernel, a.commit)
    print()
    print(header)
    print()
    print(table(summary, order))
    print()
    print("results: " + os.path.join(a.out, "bench.json"))
    if a.chart:
        chart(summary, order, a.chart, header)
        print("chart: " + a.chart)
    failed = [r["dataplane"] for r in runs if "tcp1" not in r and "tcp4" not in r and "udp64" not in r
              and "ping-5hz" not in r and "rss" not in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
