// spawn_many: one task spawns 100,000 trivial tasks, then joins them all.
// Nothing but spawn and join: the local deque overflows into the injection
// queue, the other workers steal from one producer, and the joiner meets
// mostly finished tasks (the join fast path).
#include <oneapi/tbb/task_group.h>

#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

skein::Task<std::int64_t> trivial(std::int64_t i) { co_return i; }

skein::Task<std::int64_t> spawn_many(std::int64_t n) {
  std::vector<skein::JoinHandle<std::int64_t>> handles;
  handles.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) handles.push_back(skein::spawn(trivial(i)));
  std::int64_t sum = 0;
  for (auto& h : handles) sum += co_await h;
  co_return sum;
}

// TBB: one task_group, n tasks each writing its own slot, one wait.
std::int64_t spawn_many_tbb(std::int64_t n) {
  std::vector<std::int64_t> results(static_cast<std::size_t>(n));
  tbb::task_group tg;
  for (std::int64_t i = 0; i < n; ++i) tg.run([&results, i] { results[static_cast<std::size_t>(i)] = i; });
  tg.wait();
  std::int64_t sum = 0;
  for (auto r : results) sum += r;
  return sum;
}

void spawn_many_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_skein(state, p, [n] { return spawn_many(n); }, skein_bench::expect(n * (n - 1) / 2, "sum of task ids"));
}

void spawn_many_tbb_bench(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_tbb(state, p, [n] { return spawn_many_tbb(n); }, skein_bench::expect(n * (n - 1) / 2, "sum of task ids"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(spawn_many) {
  return {.name = "spawn_many",
          .sizes = {100'000},
          .quick_sizes = {10'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", spawn_many_skein}, {"tbb", spawn_many_tbb_bench}}};
}
