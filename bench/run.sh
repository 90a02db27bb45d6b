#!/usr/bin/env bash
# The throughput suite, as `make bench` runs it (after the release build):
#
#   QUICK=1 bash bench/run.sh [skein_bench flags, e.g. --benchmark_filter=fib --workers 1,2]
#
# Runs build/release/bench/skein_bench with repetitions and random
# interleaving (skein and its comparator alternate), prints a progress line per
# measured repetition, writes Google Benchmark JSON to
# bench-results/<date>-<host>.json (and bench-results/latest.json), prints the
# table (bench/table.py) and draws bench-results/{scaling,throughput}.png
# (bench/plot.py).
#
# Environment: QUICK=1 smoke run (smaller sizes, fewer repetitions, < 1 min);
# SKEIN_BENCH_BIN the binary; BENCH_RESULTS_DIR where results go;
# SKEIN_BENCH_PYTHON the python with matplotlib (default /usr/bin/python3).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in bench/

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${SKEIN_BENCH_BIN:-$root/build/release/bench/skein_bench}"
out_dir="${BENCH_RESULTS_DIR:-$root/bench-results}"
python="${SKEIN_BENCH_PYTHON:-/usr/bin/python3}"

if [ ! -x "$bin" ] && [ -z "${SKEIN_BENCH_BIN:-}" ] && [ -f "$root/build/release/CMakeCache.txt" ] &&
   grep -q '^SKEIN_BUILD_BENCH:BOOL=OFF' "$root/build/release/CMakeCache.txt"; then
  # A cached SKEIN_BUILD_BENCH=OFF survives `cmake --preset release` (the
  # preset does not set it): switch it back on and build just the suite.
  echo "bench/run.sh: build/release was configured with SKEIN_BUILD_BENCH=OFF; turning it on"
  (cd "$root" && cmake --preset release -DSKEIN_BUILD_BENCH=ON >/dev/null &&
    cmake --build --preset release --target skein_bench)
fi
if [ ! -x "$bin" ]; then
  echo "bench/run.sh: $bin is missing; build it first (make release)" >&2
  exit 1
fi
mkdir -p "$out_dir"

host="$(uname -n)"
host="${host%%.*}"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
json="$out_dir/$stamp-$host.json"
log="$out_dir/$stamp-$host.log"

# The compiler and flags the binary was built with, for the JSON context (no
# commas: --benchmark_context splits on them).
cache="$(dirname "$bin")/../CMakeCache.txt"
compiler="unknown compiler"
flags=""
if [ -f "$cache" ]; then
  cxx="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$cache")"
  build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")"
  if [ -n "$cxx" ]; then
    compiler="$(basename "$cxx") $("$cxx" -dumpversion 2>/dev/null || echo '?')"
  fi
  if [ -n "$build_type" ]; then
    upper="$(echo "$build_type" | tr '[:lower:]' '[:upper:]')"
    flags="$(sed -n "s/^CMAKE_CXX_FLAGS_${upper}:[A-Z]*=//p" "$cache")"
  fi
fi
compiler="${compiler//,/ }"
flags="${flags//,/ }"

if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
  mode=(--quick --benchmark_repetitions=3 --benchmark_min_time=0.02)
  echo "skein_bench: QUICK run (smaller sizes, 3 repetitions)"
else
  mode=(--benchmark_repetitions=5 --benchmark_min_time=0.3)
  echo "skein_bench: full run (5 repetitions; a few minutes on 2 cores)"
fi

# Is something else using the CPUs? (busy CPUs over one second, from /proc/stat)
busy_cpus() {
  local a b
  a=($(head -n1 /proc/stat)); sleep 1; b=($(head -n1 /proc/stat))
  # fields: user nice system idle iowait irq softirq steal
  local busy=$(( (b[1]+b[2]+b[3]+b[6]+b[7]+b[8]) - (a[1]+a[2]+a[3]+a[6]+a[7]+a[8]) ))
  local all=$(( busy + (b[4]+b[5]) - (a[4]+a[5]) ))
  [ "$all" -gt 0 ] || { echo 0; return; }
  awk -v b="$busy" -v t="$all" -v n="$(nproc)" 'BEGIN { printf "%.1f", b / t * n }'
}
if [ -r /proc/stat ]; then
  other="$(busy_cpus)"
  if awk -v o="$other" 'BEGIN { exit !(o >= 0.3) }'; then
    echo "skein_bench: WARNING: other processes keep $other CPUs busy; multi-worker figures will be low" \
         "(the table's 'cores' column shows which lines were affected)"
  fi
fi

status=0
# Google Benchmark's own console report goes to the log; the progress lines
# (stderr) to the terminal. User flags come last so they win.
"$bin" --progress "${mode[@]}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json \
  --benchmark_context="compiler=$compiler,flags=$flags,date=$stamp" \
  "$@" >"$log" || status=$?

if [ ! -s "$json" ]; then
  echo "bench/run.sh: skein_bench wrote no results (exit $status); its output:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
ln -sf "$(basename "$json")" "$out_dir/latest.json"

echo
"$python" "$root/bench/table.py" "$json" || status=1
"$python" "$root/bench/plot.py" "$json" "$out_dir" || status=1
echo "results: $json (Google Benchmark JSON; compare two runs with compare.py benchmarks A.json B.json)"

if [ "$status" -ne 0 ]; then
  echo "bench/run.sh: FAILED (see above and $log)" >&2
fi
exit "$status"
