#!/usr/bin/python3
"""Plots skein_bench's results (run with Debian's /usr/bin/python3, which has
python3-matplotlib).

    plot.py RESULTS.json [OUT_DIR]

Writes OUT_DIR/scaling.png (speedup over 1 worker against workers, one panel
per workload, every runtime) and OUT_DIR/throughput.png (work items per second
per workload, one bar per runtime and worker count). OUT_DIR defaults to the
JSON file's directory.
"""

import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

import results  # noqa: E402

COLORS = {"skein": "#1f77b4", "tbb": "#d62728"}
OTHER_COLORS = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def color_of(runtime, seen=[]):  # noqa: B006 - a small cache on purpose
    if runtime in COLORS:
        return COLORS[runtime]
    if runtime not in seen:
        seen.append(runtime)
    return OTHER_COLORS[seen.index(runtime) % len(OTHER_COLORS)]


def runtimes_of(points, workload):
    rts = []
    for p in points:
        if p.workload == workload and p.runtime not in rts:
            rts.append(p.runtime)
    return rts


def plot_scaling(points, title, path):
    by_key = results.index(points)
    panels = results.series(points)
    workers = sorted({p.workers for p in points})
    cols = min(3, max(1, len(panels)))
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (workload, size) in zip(axes.flat, panels):
        ax.plot(workers, [w / workers[0] for w in workers], "k--", linewidth=0.8, label="ideal")
        for rt in runtimes_of(points, workload):
            base = by_key.get((workload, rt, size, workers[0]))
            xs, ys = [], []
            for w in workers:
                p = by_key.get((workload, rt, size, w))
                if base and p and not p.error and not base.error and p.time_ms > 0:
                    xs.append(w)
                    ys.append(base.time_ms / p.time_ms)
            if xs:
                ax.plot(xs, ys, "o-", color=color_of(rt), label=rt)
        ax.set_title(f"{workload}({results.human_size(size)})")
        ax.set_xlabel("workers")
        ax.set_ylabel(f"speedup over {workers[0]} worker")
        ax.set_xticks(workers)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_throughput(points, title, path):
    by_key = results.index(points)
    groups = results.series(points)
    workers = sorted({p.workers for p in points})
    bars = []  # (runtime, workers) in a stable order: skein first
    for workload, _ in groups:
        for rt in runtimes_of(points, workload):
            for w in workers:
                if (rt, w) not in bars:
                    bars.append((rt, w))
    bars.sort(key=lambda b: (b[0] != results.SKEIN, b[0], b[1]))
    width = 0.8 / max(1, len(bars))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups) + 2), 4.5))
    for i, (rt, w) in enumerate(bars):
        xs, ys = [], []
        for g, (workload, size) in enumerate(groups):
            p = by_key.get((workload, rt, size, w))
            if p and not p.error and not math.isnan(p.items_per_second):
                xs.append(g - 0.4 + width * (i + 0.5))
                ys.append(p.items_per_second / 1e6)
        # Lighter shade for fewer workers.
        alpha = 0.45 + 0.55 * (workers.index(w) + 1) / len(workers)
        ax.bar(xs, ys, width, color=color_of(rt), alpha=alpha, label=f"{rt}, {w} worker{'s' if w > 1 else ''}")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{wl}({results.human_size(s)})" for wl, s in groups], rotation=20, ha="right")
    ax.set_ylabel("million tasks (or yields) per second")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src = argv[1]
    out_dir = argv[2] if len(argv) == 3 else os.path.dirname(os.path.abspath(src))
    ctx, points = results.load(src)
    if not points:
        print(f"plot.py: no skein_bench results in {src}", file=sys.stderr)
        return 1
    title = f"skein_bench: {results.machine_line(ctx)} (medians, wall time)"
    os.makedirs(out_dir, exist_ok=True)
    scaling = os.path.join(out_dir, "scaling.png")
    throughput = os.path.join(out_dir, "throughput.png")
    plot_scaling(points, title, scaling)
    plot_throughput(points, title, throughput)
    print(f"plots: {scaling} {throughput}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
