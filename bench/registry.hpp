// How a workload joins skein_bench.
//
// A workload is one file that describes itself once:
//
//   SKEIN_BENCH_WORKLOAD(fib) {
//     return {.name = "fib", .sizes = {30, 35}, .quick_sizes = {30},
//             .tasks = fib_tasks,
//             .impls = {{"skein", fib_skein}, {"tbb", fib_tbb}}};
//   }
//
// main.cpp turns every (size, workers, impl) into one Google Benchmark named
// `<workload>/<runtime>/<size>/workers:<n>`, in that order, so the skein and
// comparator runs of the same point are neighbours (and, with
// --benchmark_enable_random_interleaving, their repetitions alternate).
// Every benchmark is wall-clock timed (UseRealTime) in milliseconds.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skein_bench {

// One point of the sweep.
struct Params {
  long size;    // the workload's size: fib's n, skynet's leaves, ...
  int workers;  // worker threads (skein) / arena concurrency (TBB)
};

using BenchFn = void (*)(benchmark::State&, const Params&);

// One runtime's version of a workload.
struct Impl {
  std::string runtime;  // "skein", "tbb", "threads" ...: the second part of the name
  BenchFn fn;
};

struct Workload {
  std::string name;               // the first part of the benchmark name
  std::vector<long> sizes;        // sizes of the default run
  std::vector<long> quick_sizes;  // sizes of a --quick run; empty: the same as sizes
  // Work items (tasks, yields, messages) one iteration handles at `size`, for
  // items_per_second; null: no rate.
  double (*tasks)(long size) = nullptr;
  std::vector<Impl> impls;  // skein first, then its comparators
};

namespace detail {
bool add_workload(Workload (*describe)());
}

// Workload::tasks for workloads whose size is the number of work items.
inline double per_unit(long size) { return static_cast<double>(size); }

// The registered workloads, in registration order.
const std::vector<Workload>& workloads();

// Marks the benchmark failed (SkipWithError) unless got == want. Call after
// every iteration: a benchmark that computes the wrong answer measures
// nothing.
bool expect_eq(benchmark::State& state, std::int64_t got, std::int64_t want, std::string_view what);

}  // namespace skein_bench

// Defines the function that describes a workload and registers it at start-up.
#define SKEIN_BENCH_WORKLOAD(id)                                                                     \
  static ::skein_bench::Workload skein_bench_describe_##id();                                        \
  [[maybe_unused]] static const bool skein_bench_registered_##id =                                   \
      ::skein_bench::detail::add_workload(&skein_bench_describe_##id);                               \
  static ::skein_bench::Workload skein_bench_describe_##id()
