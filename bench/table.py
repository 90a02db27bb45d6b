#!/usr/bin/env python3
"""Prints skein_bench's results as a table: workload x workers, skein beside its
comparator from the same run, and the ratio skein/comparator (below 1: skein
is faster). Then the scaling of each runtime from 1 worker to the most, and the
targets of issue 3 with ok / MISS.

    table.py RESULTS.json
"""

import math
import sys

import results

# Targets of issue 3 (2-core machine, 2 workers, same run as TBB).
RATIO_TARGETS = {("fib", 30): 0.6, ("skynet", 1_000_000): 0.9, ("nqueens", 12): 1.0}
SCALING_TARGETS = {("fib", 35): 1.8}
# Targets of issue 5, as skein items (or round trips) per second at 2 workers.
RATE_TARGETS = {("channel_spsc", 10_000_000): 30e6, ("channel_rendezvous", 20_000): 1e6}
# Targets of issue 4 (echo, 64 connections, 64-byte messages, 2 workers): messages
# per second, and the server's CPU per message below the epoll baseline's.
ECHO_RATE_TARGET = 100e3


def fmt_time(ms):
    if math.isnan(ms):
        return "-"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"
    return f"{ms * 1000:.0f} µs"


def fmt_ratio(r):
    return f"{r:5.2f}×" if r >= 0.1 else f"{r:.2g}×"


def fmt_cores(p):
    return "?" if math.isnan(p.cores) else f"{p.cores:.1f}"


def fmt_cell(p):
    if p is None:
        return "-"
    if p.error:
        return "FAILED"
    return fmt_time(p.time_ms)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ctx, points = results.load(argv[1])
    by_key = results.index(points)
    workers = sorted({p.workers for p in points})
    reps = max((p.repetitions for p in points), default=0)
    print(f"skein_bench: {results.machine_line(ctx)}")
    print(f"median of {reps} repetitions, wall time per run; ratio = skein / comparator (< 1: skein faster);")
    print("cores = busy cores (process CPU / wall), skein/comparator: well below the worker count means a")
    print("starved worker, or another process on the machine (then the figures on that line are suspect)\n")

    failures = [p for p in points if p.error]
    misses = 0
    label_w = max((len(p.label) for p in points), default=10) + 2
    comp_w = max((len(p.runtime) for p in points if p.runtime != results.SKEIN), default=3)
    for workload, size in results.series(points):
        comp = results.comparator_of(points, workload)
        for w in workers:
            s = by_key.get((workload, results.SKEIN, size, w))
            c = by_key.get((workload, comp, size, w)) if comp else None
            if s is None and c is None:
                continue
            label = (s or c).label
            line = f"{label:<{label_w}} workers:{w:<3} skein {fmt_cell(s):>9}"
            if comp:
                line += f"  {comp:<{comp_w}} {fmt_cell(c):>9}"
                if s and c and not s.error and not c.error and c.time_ms > 0:
                    ratio = s.time_ms / c.time_ms
                    line += f"  {fmt_ratio(ratio)}"
                    if w > 1:
                        line += f"   cores {fmt_cores(s)}/{fmt_cores(c)}"
                    target = RATIO_TARGETS.get((workload, size))
                    if target is not None and w == max(workers) and w > 1:
                        ok = ratio <= target
                        misses += not ok
                        line += f"   target ≤ {target:.2f}× {'ok' if ok else 'MISS'}"
            rate_target = RATE_TARGETS.get((workload, size))
            if rate_target is not None and w == 2 and s and not s.error:
                ok = s.items_per_second >= rate_target
                misses += not ok
                line += (f"   skein {s.items_per_second / 1e6:.1f} M/s,"
                         f" target ≥ {rate_target / 1e6:g} M/s {'ok' if ok else 'MISS'}")
            if workload == "echo" and s and not s.error:
                line += f"   {s.items_per_second / 1e3:.0f}k msgs/s, server {s.server_us_per_msg:.2f} µs/msg"
                if c and not c.error:
                    line += f" ({comp} {c.server_us_per_msg:.2f}"
                    bare = by_key.get((workload, "uring", size, w))
                    if bare and not bare.error:
                        line += f", bare io_uring {bare.server_us_per_msg:.2f}"
                    line += ")"
                if w == 2:
                    ok = s.items_per_second >= ECHO_RATE_TARGET and (
                        not c or c.error or s.server_us_per_msg < c.server_us_per_msg)
                    misses += not ok
                    line += f"   target ≥ 100k msgs/s, less CPU/msg than {comp}: {'ok' if ok else 'MISS'}"
            print(line)

    if len(workers) > 1:
        lo, hi = workers[0], workers[-1]
        print(f"\nscaling {lo} → {hi} workers (time at {lo} / time at {hi}; ideal {hi / lo:.0f}×)")
        for workload, size in results.series(points):
            cells = []
            for rt in [results.SKEIN] + [r for r in [results.comparator_of(points, workload)] if r]:
                a, b = by_key.get((workload, rt, size, lo)), by_key.get((workload, rt, size, hi))
                if a and b and not a.error and not b.error and b.time_ms > 0:
                    speedup = a.time_ms / b.time_ms
                    cell = f"{rt} {fmt_ratio(speedup)}"
                    target = SCALING_TARGETS.get((workload, size))
                    if target is not None and rt == results.SKEIN and (lo, hi) == (1, 2):
                        ok = speedup >= target
                        misses += not ok
                        cell += f" (target ≥ {target:.1f}× {'ok' if ok else 'MISS'})"
                    cells.append(cell)
            if cells:
                label = f"{workload}({results.human_size(size)})"
                print(f"{label:<{label_w}} " + "   ".join(cells))

    if failures:
        print("\nFAILED (wrong result or exception):")
        for p in failures:
            print(f"  {p.workload}/{p.runtime}/{p.size}/workers:{p.workers}: {p.error}")
    if misses:
        print(f"\n{misses} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
