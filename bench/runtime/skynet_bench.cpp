// skynet: a 10-way tree of tasks with 1,000,000 leaves (1,111,111 tasks);
// every node spawns its ten children, then awaits them in order and sums
// their numbers. Wider than fib: each task has ten spawned children alive at
// once, so the local deque fills and thieves find plenty to steal.
#include <oneapi/tbb/task_group.h>

#include <array>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

constexpr int kFanout = 10;

// Every node of the tree is one task: size + size/10 + ... + 1.
double skynet_tasks(long leaves) {
  double n = 0;
  for (long s = leaves; s >= 1; s /= kFanout) n += static_cast<double>(leaves / s);
  return n;
}

skein::Task<std::int64_t> skynet(std::int64_t num, std::int64_t size) {
  if (size == 1) co_return num;
  const std::int64_t child = size / kFanout;
  std::array<skein::JoinHandle<std::int64_t>, kFanout> children;
  for (int i = 0; i < kFanout; ++i) children[i] = skein::spawn(skynet(num + i * child, child));
  std::int64_t sum = 0;
  for (auto& h : children) sum += co_await h;
  co_return sum;
}

std::int64_t skynet_tbb(std::int64_t num, std::int64_t size) {
  if (size == 1) return num;
  const std::int64_t child = size / kFanout;
  std::array<std::int64_t, kFanout> sums{};
  tbb::task_group tg;
  for (int i = 0; i < kFanout; ++i) tg.run([&sums, i, num, child] { sums[i] = skynet_tbb(num + i * child, child); });
  tg.wait();
  std::int64_t sum = 0;
  for (auto s : sums) sum += s;
  return sum;
}

// The leaves are numbered 0 .. N-1.
std::int64_t skynet_sum(std::int64_t n) { return n * (n - 1) / 2; }

void skynet_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_skein(state, p, [n] { return skynet(0, n); }, skein_bench::expect(skynet_sum(n), "skynet sum"));
}

void skynet_tbb_bench(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_tbb(state, p, [n] { return skynet_tbb(0, n); }, skein_bench::expect(skynet_sum(n), "skynet sum"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(skynet) {
  return {.name = "skynet",
          .sizes = {1'000'000},
          .quick_sizes = {100'000},
          .tasks = skynet_tasks,
          .impls = {{"skein", skynet_skein}, {"tbb", skynet_tbb_bench}}};
}
