// rwlock_read_mostly: 4 tasks each do `size`/4 operations on a shared pair of
// counters under a skein::RwLock; one operation in 16 is a write (bump both),
// the rest are reads (check that they are equal). Readers share the lock, so
// with 2 workers reads overlap and only writes serialise. Baseline: 4 OS
// threads with a std::shared_mutex on the first `workers` CPUs.
#include <atomic>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/rw_lock.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

constexpr int kTasks = 4;
constexpr std::int64_t kWriteEvery = 16;

struct Pair {
  std::int64_t a = 0, b = 0;
};

// Returns the number of writes, or -1 if a read saw a half-done write.
skein::Task<std::int64_t> operate(skein::RwLock& lock, Pair& p, std::int64_t times) {
  std::int64_t writes = 0;
  bool torn = false;
  for (std::int64_t i = 0; i < times; ++i) {
    if (i % kWriteEvery == 0) {
      auto g = co_await lock.write();
      ++p.a;
      ++p.b;
      ++writes;
    } else {
      auto g = co_await lock.read();
      torn |= p.a != p.b;
    }
  }
  co_return torn ? -1 : writes;
}

skein::Task<std::int64_t> read_mostly(std::int64_t total) {
  skein::RwLock lock;
  Pair p;
  std::vector<skein::JoinHandle<std::int64_t>> tasks;
  for (int i = 0; i < kTasks; ++i) tasks.push_back(skein::spawn(operate(lock, p, total / kTasks)));
  std::int64_t writes = 0;
  for (auto& t : tasks) {
    const std::int64_t w = co_await t;
    if (w < 0) co_return -1;
    writes += w;
  }
  co_return writes == p.a ? writes : -1;
}

std::int64_t read_mostly_threads(std::int64_t total) {
  std::shared_mutex lock;
  Pair p;
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kTasks; ++i)
    threads.emplace_back([&, times = total / kTasks] {
      for (std::int64_t k = 0; k < times; ++k) {
        if (k % kWriteEvery == 0) {
          std::unique_lock g(lock);
          ++p.a;
          ++p.b;
        } else {
          std::shared_lock g(lock);
          if (p.a != p.b) torn.store(true, std::memory_order_relaxed);
        }
      }
    });
  for (auto& t : threads) t.join();
  return torn.load() ? -1 : p.a;
}

std::int64_t expected_writes(std::int64_t total) {
  const std::int64_t per_task = total / kTasks;
  return kTasks * ((per_task + kWriteEvery - 1) / kWriteEvery);
}

void rwlock_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size / kTasks * kTasks;
  skein_bench::run_skein(state, p, [total] { return read_mostly(total); },
                         skein_bench::expect(expected_writes(total), "writes, no torn read"));
}

void rwlock_threads(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t total = p.size / kTasks * kTasks;
  skein_bench::run_threads(state, p, [total] { return read_mostly_threads(total); },
                           skein_bench::expect(expected_writes(total), "writes, no torn read"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(rwlock_read_mostly) {
  return {.name = "rwlock_read_mostly",
          .sizes = {1'000'000},
          .quick_sizes = {100'000},
          .tasks = [](long n) { return static_cast<double>(n / kTasks * kTasks); },
          .impls = {{"skein", rwlock_skein}, {"threads", rwlock_threads}}};
}
