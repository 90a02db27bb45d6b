#!/usr/bin/env bash
# check_bench.sh SOURCE_DIR SKEIN_BENCH RESULTS_DIR
# Runs bench/run.sh in QUICK mode into RESULTS_DIR and checks what it wrote.
set -euo pipefail
src="$1" bin="$2" out="$3"
rm -rf "$out"
QUICK=1 SKEIN_BENCH_BIN="$bin" BENCH_RESULTS_DIR="$out" bash "$src/bench/run.sh" --workers 1,2

/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
latest = os.path.join(out, "latest.json")
with open(latest) as f:
    doc = json.load(f)
runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
assert runs, "no benchmark runs in the JSON"
names = {b["run_name"] for b in runs}
expected = {"fib": "tbb", "skynet": "tbb", "nqueens": "tbb", "spawn_many": "tbb", "yield_many": "tbb",
            "ping_pong": "threads", "ping_pong_pinned": "threads", "channel_spsc": "threads",
            "channel_mpmc": "threads", "channel_rendezvous": "threads", "mutex_contended": "threads", "rwlock_read_mostly": "threads", "wait_group": "tbb",
            "sleep_many": None, "with_timeout": None}
for workload, comparator in expected.items():
    for runtime in ("skein", comparator) if comparator else ("skein",):
        for w in (1, 2):
            prefix = f"{workload}/{runtime}/"
            assert any(n.startswith(prefix) and f"/workers:{w}" in n for n in names), f"missing {prefix}*/workers:{w}"
failed = [b["name"] for b in doc["benchmarks"] if b.get("error_occurred")]
assert not failed, f"benchmarks failed: {failed}"
for png in ("scaling.png", "throughput.png"):
    with open(os.path.join(out, png), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
print(f"check_bench: {len(names)} benchmarks, JSON and both PNGs ok")
PY
