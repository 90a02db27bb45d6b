// sleep_many: `size` tasks each sleep 1 ms, and one task waits for them all.
// The ideal is a little over 1 ms; what is above it is the cost of spawning
// the sleepers, inserting them into the workers' timer heaps, and waking and
// joining them when the deadline passes (the timer heap's pop path and the
// ring's timeout). No comparator: neither TBB nor the standard library has a
// timer for tasks.
//
// with_timeout: one task awaits `size` short tasks one after another, each
// under with_timeout(1 s); each inner task yields once, so the deadline's
// scope spans a real suspension. The figure per item is the cost of arming and
// disarming a deadline around an await (plus the yield). No comparator.
#include <chrono>
#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"
#include "skein/time.hpp"

namespace {

skein::Task<std::int64_t> sleeper() {
  co_await skein::sleep_for(std::chrono::milliseconds(1));
  co_return 1;
}

skein::Task<std::int64_t> sleep_many(std::int64_t n) {
  std::vector<skein::JoinHandle<std::int64_t>> sleepers;
  sleepers.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) sleepers.push_back(skein::spawn(sleeper()));
  std::int64_t woke = 0;
  for (auto& s : sleepers) woke += co_await s;
  co_return woke;
}

void sleep_many_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_skein(state, p, [n] { return sleep_many(n); }, skein_bench::expect(n, "sleepers woken"));
}

skein::Task<std::int64_t> yield_once(std::int64_t v) {
  co_await skein::yield();
  co_return v;
}

skein::Task<std::int64_t> timeouts(std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += co_await skein::with_timeout(std::chrono::seconds(1), yield_once(1));
  co_return sum;
}

void with_timeout_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size;
  skein_bench::run_skein(state, p, [n] { return timeouts(n); }, skein_bench::expect(n, "timed calls"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(with_timeout) {
  return {.name = "with_timeout",
          .sizes = {100'000},
          .quick_sizes = {10'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", with_timeout_skein}}};
}

SKEIN_BENCH_WORKLOAD(sleep_many) {
  return {.name = "sleep_many",
          .sizes = {100'000},
          .quick_sizes = {10'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", sleep_many_skein}}};
}
