// yield_many: 100 tasks each yield size/100 times (size yields in all). A
// yield puts the task at the back of its worker's queue, so this measures the
// suspend / requeue / resume round trip and the fairness path of the run
// loop, with no spawns and no joins on the hot path.
//
// TBB tasks cannot suspend; its comparator ends every step by submitting the
// next step as a new task to the same task_group, the closest thing to a
// yield TBB offers (and cheaper: no queue rotation, the new task runs next).
#include <oneapi/tbb/task_group.h>

#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

constexpr std::int64_t kYielders = 100;

skein::Task<std::int64_t> yielder(std::int64_t yields) {
  for (std::int64_t i = 0; i < yields; ++i) co_await skein::yield();
  co_return yields;
}

skein::Task<std::int64_t> yield_many(std::int64_t total) {
  std::vector<skein::JoinHandle<std::int64_t>> handles;
  handles.reserve(kYielders);
  for (std::int64_t i = 0; i < kYielders; ++i) handles.push_back(skein::spawn(yielder(total / kYielders)));
  std::int64_t done = 0;
  for (auto& h : handles) done += co_await h;
  co_return done;
}

// One counter per chain on its own cache line: chains on different workers
// must not share a line.
struct alignas(64) StepCount {
  std::int64_t steps = 0;
};

void tbb_step(tbb::task_group& tg, StepCount& count, std::int64_t left) {
  if (left == 0) return;
  ++count.steps;
  tg.run([&tg, &count, left] { tbb_step(tg, count, left - 1); });
}

std::int64_t yield_many_tbb(std::int64_t total) {
  std::vector<StepCount> counts(kYielders);
  tbb::task_group tg;
  for (auto& c : counts) tg.run([&tg, &c, total] { tbb_step(tg, c, total / kYielders); });
  tg.wait();
  std::int64_t done = 0;
  for (auto& c : counts) done += c.steps;
  return done;
}

double yield_many_tasks(long total) { return static_cast<double>(total / kYielders * kYielders); }

void yield_many_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size;
  skein_bench::run_skein(state, p, [total] { return yield_many(total); },
                         skein_bench::expect(total / kYielders * kYielders, "yields"));
}

void yield_many_tbb_bench(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size;
  skein_bench::run_tbb(state, p, [total] { return yield_many_tbb(total); },
                       skein_bench::expect(total / kYielders * kYielders, "yields"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(yield_many) {
  return {.name = "yield_many",
          .sizes = {1'000'000},
          .quick_sizes = {100'000},
          .tasks = yield_many_tasks,
          .impls = {{"skein", yield_many_skein}, {"tbb", yield_many_tbb_bench}}};
}
