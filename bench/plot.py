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
    cols = min(4, max(1, len(panels)))
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
        ax.set_ylabel(f"speedup over {workers[0]} worker{'s' if workers[0] > 1 else ''}")
        ax.set_xticks(workers)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (3.4 * rows)))  # room for the suptitle
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_throughput(points, title, path):
    by_key = results.index(points)
    groups = results.series(points)
    workers = sorted({p.workers for p in points})
    fig, ax = plt.subplots(figsize=(max(7, 0.95 * len(groups) + 3), 5))
    labelled = set()
    for g, (workload, size) in enumerate(groups):
        # Only the runtimes this workload has, skein first, centred on the group.
        rts = sorted(runtimes_of(points, workload), key=lambda r: (r != results.SKEIN, r))
        bars = [(rt, w) for rt in rts for w in workers]
        width = 0.8 / max(1, len(bars))
        for i, (rt, w) in enumerate(bars):
            p = by_key.get((workload, rt, size, w))
            if not p or p.error or math.isnan(p.items_per_second) or p.items_per_second <= 0:
                continue
            label = f"{rt}, {w} worker{'s' if w > 1 else ''}"
            # Lighter shade for fewer workers.
            alpha = 0.45 + 0.55 * (workers.index(w) + 1) / len(workers)
            ax.bar(g - 0.4 + width * (i + 0.5), p.items_per_second / 1e6, width, color=color_of(rt), alpha=alpha,
                   label=None if label in labelled else label)
            labelled.add(label)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{wl}({results.human_size(s)})" for wl, s in groups], rotation=30, ha="right")
    ax.set_ylabel("million items per second (log)\ntasks, yields, messages or lock operations")
    ax.grid(axis="y", alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (not labels[i].startswith(results.SKEIN), labels[i]))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
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
