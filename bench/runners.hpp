// The timed loops shared by every workload: one per runtime.
//
// The runtime (skein::Runtime, tbb::task_arena) is built once per benchmark
// call, outside the timed loop; each iteration runs one whole workload and
// checks its answer.
#pragma once

#include <benchmark/benchmark.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <utility>

#include "registry.hpp"
#include "threads.hpp"
#include "skein/runtime.hpp"

namespace skein_bench {

// How many cores the whole process kept busy while the timed loop ran: CPU
// time of all threads / wall time. Near `workers` with a poor speedup means
// overhead (spinning, contention); near 1 means the other workers starved.
class BusyCores {
 public:
  BusyCores() : cpu0_(process_cpu_seconds()), wall0_(std::chrono::steady_clock::now()) {}
  void report(benchmark::State& state) const {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0_).count();
    if (wall > 0 && state.iterations() > 0) state.counters["cores"] = (process_cpu_seconds() - cpu0_) / wall;
  }

 private:
  static double process_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  }
  double cpu0_;
  std::chrono::steady_clock::time_point wall0_;
};

// Scheduler counters per iteration, so a run shows how much stealing and
// parking a workload causes (in the JSON and the console output).
inline void report_skein_stats(benchmark::State& state, const skein::Runtime& rt) {
  if (state.iterations() == 0) return;
  const skein::WorkerStats t = rt.stats().total();
  using benchmark::Counter;
  state.counters["stolen"] = Counter(static_cast<double>(t.stolen), Counter::kAvgIterations);
  state.counters["parks"] = Counter(static_cast<double>(t.parks), Counter::kAvgIterations);
  state.counters["overflows"] = Counter(static_cast<double>(t.overflows), Counter::kAvgIterations);
}

// Runs `make_task()` (a skein::Task<T>) to completion with block_on once per
// iteration on a runtime of p.workers workers; `check(state, result)` returns
// false (after SkipWithError) when the result is wrong.
template <class MakeTask, class Check>
void run_skein(benchmark::State& state, const Params& p, MakeTask make_task, Check check) {
  try {
    skein::Runtime rt(skein::Options{.workers = static_cast<std::size_t>(p.workers)});
    BusyCores busy;
    for (auto _ : state) {
      if (!check(state, rt.block_on(make_task()))) return;
    }
    busy.report(state);
    report_skein_stats(state, rt);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// The TBB comparator: `body()` runs inside a task_arena of p.workers threads
// (the benchmark thread plus p.workers - 1 TBB workers).
template <class Body, class Check>
void run_tbb(benchmark::State& state, const Params& p, Body body, Check check) {
  try {
    tbb::task_arena arena(p.workers);
    arena.initialize();
    BusyCores busy;
    for (auto _ : state) {
      if (!check(state, arena.execute(body))) return;
    }
    busy.report(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// An OS-thread baseline: `body()` creates, runs and joins its threads each
// iteration. The benchmark thread is pinned to the first p.workers CPUs for
// the run, and the threads it creates inherit that mask, so `workers:n` means
// n CPUs here as it means n workers for skein.
template <class Body, class Check>
void run_threads(benchmark::State& state, const Params& p, Body body, Check check) {
  try {
    AffinityRestore restore;
    pin_to_first_cpus(p.workers);
    BusyCores busy;
    for (auto _ : state) {
      if (!check(state, body())) return;
    }
    busy.report(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// A check that compares with a fixed expected value.
inline auto expect(std::int64_t want, const char* what) {
  return [want, what](benchmark::State& state, std::int64_t got) { return expect_eq(state, got, want, what); };
}

}  // namespace skein_bench
