"""Reads skein_bench's Google Benchmark JSON: the shared part of table.py and plot.py.

Benchmark names are `<workload>/<runtime>/<size>/workers:<n>` (Google Benchmark
appends `/real_time` because every benchmark uses UseRealTime). Each point is
summarised by the median of its repetitions: the `median` aggregate when the
run had repetitions, else the median of the plain iteration runs.
"""

import json
import statistics
from dataclasses import dataclass, field

# Whichever runtime is not skein is the comparator of a workload (TBB for the
# task-parallel ones; baselines such as "threads" for later workloads).
SKEIN = "skein"


@dataclass
class Point:
    workload: str
    runtime: str
    size: int
    workers: int
    time_ms: float = float("nan")  # median wall time per iteration
    items_per_second: float = float("nan")
    cores: float = float("nan")  # process CPU time / wall time (the `cores` counter)
    server_us_per_msg: float = float("nan")  # echo: CPU of the server's threads per message
    repetitions: int = 0
    order: tuple = (0, 0)  # (family_index, per_family_instance_index): registration order
    error: str = ""
    samples: list = field(default_factory=list)

    @property
    def label(self):
        return f"{self.workload}({human_size(self.size)})"


def human_size(n):
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


def to_ms(value, unit):
    return value * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def parse_name(name):
    parts = name.split("/")
    if parts and parts[-1] in ("real_time", "manual_time"):
        parts = parts[:-1]
    if len(parts) != 4 or not parts[3].startswith("workers:"):
        return None
    try:
        return parts[0], parts[1], int(parts[2]), int(parts[3][len("workers:"):])
    except ValueError:
        return None


def load(path):
    """Returns (context dict, list of Point in the order of the file)."""
    with open(path) as f:
        doc = json.load(f)
    points = {}
    medians = {}
    for b in doc.get("benchmarks", []):
        key = parse_name(b.get("run_name") or b["name"])
        if key is None:
            continue
        p = points.setdefault(key, Point(*key))
        p.order = (b.get("family_index", 0), b.get("per_family_instance_index", 0))
        if b.get("error_occurred"):
            p.error = b.get("error_message", "error")
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = b
            continue
        p.samples.append((to_ms(b["real_time"], b.get("time_unit", "ns")), b.get("items_per_second"), b.get("cores"),
                          b.get("server_us_per_msg")))
    for key, p in points.items():
        p.repetitions = len(p.samples)
        if key in medians:
            m = medians[key]
            p.time_ms = to_ms(m["real_time"], m.get("time_unit", "ns"))
            p.items_per_second = m.get("items_per_second", float("nan"))
            p.cores = m.get("cores", float("nan"))
            p.server_us_per_msg = m.get("server_us_per_msg", float("nan"))
        elif p.samples:
            p.time_ms = statistics.median(s[0] for s in p.samples)
            rates = [s[1] for s in p.samples if s[1] is not None]
            if rates:
                p.items_per_second = statistics.median(rates)
            cores = [s[2] for s in p.samples if s[2] is not None]
            if cores:
                p.cores = statistics.median(cores)
            server = [s[3] for s in p.samples if s[3] is not None]
            if server:
                p.server_us_per_msg = statistics.median(server)
    # With random interleaving the file lists benchmarks as they finished;
    # report them in the order skein_bench registered them.
    return doc.get("context", {}), sorted(points.values(), key=lambda p: p.order)


def comparator_of(points, workload):
    for p in points:
        if p.workload == workload and p.runtime != SKEIN:
            return p.runtime
    return None


def index(points):
    return {(p.workload, p.runtime, p.size, p.workers): p for p in points}


def series(points):
    """The distinct (workload, size) pairs, in file order."""
    seen = []
    for p in points:
        if (p.workload, p.size) not in seen:
            seen.append((p.workload, p.size))
    return seen


def machine_line(ctx):
    parts = [f"{ctx.get('host_name', '?')}", f"{ctx.get('num_cpus', '?')} CPUs"]
    if ctx.get("mhz_per_cpu"):
        parts.append(f"{ctx['mhz_per_cpu']} MHz")
    for k in ("compiler", "flags"):
        if ctx.get(k):
            parts.append(ctx[k])
    if ctx.get("date"):
        parts.append(ctx["date"])
    return ", ".join(parts)
