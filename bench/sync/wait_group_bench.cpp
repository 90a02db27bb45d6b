// wait_group: one task spawns `size` detached tasks that each call
// WaitGroup::done(), then waits for the group. spawn_many without join
// handles: detached spawns, and one counter every task decrements (a shared
// cache line, on purpose: that is what a WaitGroup is). Comparator: a TBB
// task_group with `size` runs and one wait (its own shared counter).
#include <oneapi/tbb/task_group.h>

#include <atomic>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"
#include "skein/wait_group.hpp"

namespace {

skein::Task<void> worker(skein::WaitGroup& wg, std::atomic<std::int64_t>& ran) {
  ran.fetch_add(1, std::memory_order_relaxed);
  wg.done();
  co_return;
}

skein::Task<std::int64_t> fan_out(std::int64_t n) {
  skein::WaitGroup wg;
  std::atomic<std::int64_t> ran{0};
  wg.add(n);
  for (std::int64_t i = 0; i < n; ++i) skein::spawn(worker(wg, ran)).detach();
  co_await wg.wait();
  co_return ran.load(std::memory_order_relaxed);
}

std::int64_t fan_out_tbb(std::int64_t n) {
  std::atomic<std::int64_t> ran{0};
  tbb::task_group tg;
  for (std::int64_t i = 0; i < n; ++i) tg.run([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
  tg.wait();
  return ran.load(std::memory_order_relaxed);
}

void wait_group_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_skein(state, p, [n] { return fan_out(n); }, skein_bench::expect(n, "tasks run"));
}

void wait_group_tbb(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_tbb(state, p, [n] { return fan_out_tbb(n); }, skein_bench::expect(n, "tasks run"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(wait_group) {
  return {.name = "wait_group",
          .sizes = {100'000},
          .quick_sizes = {10'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", wait_group_skein}, {"tbb", wait_group_tbb}}};
}
