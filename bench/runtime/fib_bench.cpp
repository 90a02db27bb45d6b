// fib: one spawn per node of the naive Fibonacci recursion, the child awaited
// through its handle. Almost no work per task, so this measures the cost of a
// spawn + join (frame allocation, deque push/pop, join protocol) and how well
// the scheduler spreads a deep binary tree over the workers.
#include <oneapi/tbb/task_group.h>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

std::int64_t fib_value(int n) {
  std::int64_t a = 0, b = 1;
  for (int i = 0; i < n; ++i) b = std::exchange(a, b) + b;
  return a;
}

// Spawns per run: one per node with n >= 2, F(n+1) - 1 in all.
double fib_tasks(long n) { return static_cast<double>(fib_value(static_cast<int>(n) + 1) - 1); }

skein::Task<std::int64_t> fib(int n) {
  if (n < 2) co_return n;
  auto h = skein::spawn(fib(n - 1));
  std::int64_t b = co_await fib(n - 2);
  co_return co_await h + b;
}

// The same shape with TBB: run one child, compute the other inline, wait.
std::int64_t fib_tbb(int n) {
  if (n < 2) return n;
  std::int64_t a = 0;
  tbb::task_group tg;
  tg.run([&a, n] { a = fib_tbb(n - 1); });
  std::int64_t b = fib_tbb(n - 2);
  tg.wait();
  return a + b;
}

void fib_skein(benchmark::State& state, const skein_bench::Params& p) {
  const int n = static_cast<int>(p.size);
  skein_bench::run_skein(state, p, [n] { return fib(n); }, skein_bench::expect(fib_value(n), "fib"));
}

void fib_tbb_bench(benchmark::State& state, const skein_bench::Params& p) {
  const int n = static_cast<int>(p.size);
  skein_bench::run_tbb(state, p, [n] { return fib_tbb(n); }, skein_bench::expect(fib_value(n), "fib"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(fib) {
  return {.name = "fib",
          .sizes = {30, 35},
          .quick_sizes = {25},
          .tasks = fib_tasks,
          .impls = {{"skein", fib_skein}, {"tbb", fib_tbb_bench}}};
}
