// mutex_contended: 4 tasks each take a skein::Mutex `size`/4 times to bump a
// shared counter; the critical section is a few instructions, so with 2
// workers the tasks fight for the lock and waiters are handed ownership
// (FIFO) instead of spinning. On 1 worker there is no contention at all:
// a task never suspends while it holds the lock. Baseline: 4 OS threads with
// a std::mutex on the first `workers` CPUs.
#include <mutex>
#include <thread>
#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/mutex.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

constexpr int kContenders = 4;

struct Shared {
  skein::Mutex mutex;
  std::int64_t counter = 0;
};

skein::Task<std::int64_t> bump(Shared& s, std::int64_t times) {
  for (std::int64_t i = 0; i < times; ++i) {
    auto guard = co_await s.mutex.lock();
    ++s.counter;
  }
  co_return times;
}

skein::Task<std::int64_t> contend(std::int64_t total) {
  Shared s;
  std::vector<skein::JoinHandle<std::int64_t>> tasks;
  for (int i = 0; i < kContenders; ++i) tasks.push_back(skein::spawn(bump(s, total / kContenders)));
  for (auto& t : tasks) co_await t;
  co_return s.counter;
}

std::int64_t contend_threads(std::int64_t total) {
  std::mutex mu;
  std::int64_t counter = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kContenders; ++i)
    threads.emplace_back([&, times = total / kContenders] {
      for (std::int64_t k = 0; k < times; ++k) {
        std::lock_guard lock(mu);
        ++counter;
      }
    });
  for (auto& t : threads) t.join();
  return counter;
}

void mutex_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size / kContenders * kContenders;
  skein_bench::run_skein(state, p, [total] { return contend(total); }, skein_bench::expect(total, "counter"));
}

void mutex_threads(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size / kContenders * kContenders;
  skein_bench::run_threads(state, p, [total] { return contend_threads(total); },
                           skein_bench::expect(total, "counter"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(mutex_contended) {
  return {.name = "mutex_contended",
          .sizes = {1'000'000},
          .quick_sizes = {100'000},
          .tasks = [](long n) { return static_cast<double>(n / kContenders * kContenders); },
          .impls = {{"skein", mutex_skein}, {"threads", mutex_threads}}};
}
