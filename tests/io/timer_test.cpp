// Timers: sleep ordering and accuracy, cancellation, with_timeout, many
// sleepers, migration between workers, idle CPU.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "io_test_util.hpp"
#include "skein/channel.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"

using namespace std::chrono_literals;
using skein::Clock;
using skein::Task;

TEST(Timer, SleepIsNeverEarlyAndRoughlyOnTime) {
  skein::Runtime rt(skein::Options{.workers = 2});
  auto elapsed = rt.block_on([]() -> Task<Clock::duration> {
    const auto t0 = Clock::now();
    co_await skein::sleep_for(50ms);
    co_return Clock::now() - t0;
  }());
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 50ms + 250ms);  // loose: a loaded 2-core machine
}

TEST(Timer, SleepersWakeInDeadlineOrder) {
  skein::Runtime rt(skein::Options{.workers = 2});
  constexpr int kSleepers = 20;
  std::mutex m;
  std::vector<int> order;
  std::vector<Clock::duration> lateness(kSleepers);
  rt.block_on([&]() -> Task<void> {
    std::vector<skein::JoinHandle<void>> hs;
    const auto start = Clock::now();
    for (int i = kSleepers - 1; i >= 0; --i) {
      hs.push_back(skein::spawn([](int i, Clock::time_point start, std::mutex& m, std::vector<int>& order,
                                   std::vector<Clock::duration>& late) -> Task<void> {
        const auto deadline = start + 20ms * (i + 1);
        co_await skein::sleep_until(deadline);
        const auto now = Clock::now();
        std::lock_guard lock(m);
        late[i] = now - deadline;
        order.push_back(i);
      }(i, start, m, order, lateness)));
    }
    for (auto& h : hs) co_await h;
  }());
  ASSERT_EQ(order.size(), std::size_t(kSleepers));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  for (int i = 0; i < kSleepers; ++i) {
    EXPECT_GE(lateness[i], 0ns) << i;  // never early
    EXPECT_LT(lateness[i], 250ms) << i;
  }
}

TEST(Timer, PassedDeadlineDoesNotSuspend) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    for (int i = 0; i < 1000; ++i) co_await skein::sleep_for(0ms);
    co_await skein::sleep_until(Clock::now() - 1s);
  }());
}

TEST(Timer, CancelASleepingTask) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const auto t0 = Clock::now();
  rt.block_on([]() -> Task<void> {
    auto h = skein::spawn([]() -> Task<void> { co_await skein::sleep_for(30s); }());
    co_await skein::sleep_for(20ms);
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
  }());
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(Timer, CancelBeforeTheSleepStarts) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    auto h = skein::spawn([]() -> Task<void> {
      for (int i = 0; i < 100; ++i) co_await skein::yield();
      co_await skein::sleep_for(30s);
    }());
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
  }());
}

TEST(Timer, WithTimeoutExpires) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const auto t0 = Clock::now();
  rt.block_on([]() -> Task<void> {
    try {
      co_await skein::with_timeout(50ms, skein::sleep_for(30s));
      ADD_FAILURE() << "no timeout";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::timed_out);
    }
    // The caller itself is not cancelled: it can go on sleeping.
    co_await skein::sleep_for(1ms);
  }());
  const auto elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);
}

TEST(Timer, WithTimeoutReturnsTheValueInTime) {
  skein::Runtime rt(skein::Options{.workers = 2});
  int v = rt.block_on([]() -> Task<int> {
    co_return co_await skein::with_timeout(10s, []() -> Task<int> {
      co_await skein::sleep_for(5ms);
      co_return 42;
    }());
  }());
  EXPECT_EQ(v, 42);
}

TEST(Timer, ManySleepers) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const int n = skein::test::kSanitized ? 10'000 : 100'000;
  std::atomic<int> done{0};
  const auto t0 = Clock::now();
  rt.block_on([&]() -> Task<void> {
    std::vector<skein::JoinHandle<void>> hs;
    hs.reserve(n);
    for (int i = 0; i < n; ++i)
      hs.push_back(skein::spawn([](std::atomic<int>& done) -> Task<void> {
        co_await skein::sleep_for(1ms);
        done.fetch_add(1, std::memory_order_relaxed);
      }(done)));
    for (auto& h : hs) co_await h;
  }());
  EXPECT_EQ(done.load(), n);
  EXPECT_LT(Clock::now() - t0, 60s);
}

// A task woken by worker 0's timers may resume on worker 1. The imbalance is
// built, not hoped for (two evenly loaded workers need not steal at all): a
// spinner pinned to worker 1 holds it while every sleeper starts, so all of
// them sleep on worker 0's ring; once worker 1 is let go, the sleepers wake
// together into worker 0's I/O-ready list, and worker 1 can only get work by
// stealing what the backlog valve releases.
TEST(Timer, TasksMigrateBetweenWorkersAcrossSleeps) {
  skein::Runtime rt(skein::Options{.workers = 2});
  constexpr int kSleepers = 200;
  std::atomic<int> migrations{0};
  std::atomic<int> finished{0};
  std::atomic<int> asleep{0};
  std::atomic<bool> holding{false};
  std::atomic<bool> let_go{false};
  auto holder = rt.spawn_on(1, [](std::atomic<bool>& holding, std::atomic<bool>& let_go) -> Task<void> {
    holding.store(true);
    while (!let_go.load()) std::this_thread::yield();  // no await: worker 1 runs nothing else
    co_return;
  }(holding, let_go));
  const int started_on_0 = rt.spawn_on(0, [&]() -> Task<int> {
    while (!holding.load()) co_await skein::yield();
    std::vector<skein::JoinHandle<int>> hs;
    for (int t = 0; t < kSleepers; ++t)
      hs.push_back(skein::spawn([](std::atomic<int>& asleep, std::atomic<int>& migrations,
                                   std::atomic<int>& finished) -> Task<int> {
        const int first = skein::this_worker::index();
        int last = first;
        for (int i = 0; i < 20; ++i) {
          if (i == 0) asleep.fetch_add(1);
          co_await skein::sleep_for(1ms);
          volatile unsigned spin = 0;  // some work, so that worker 0 falls behind
          for (int k = 0; k < 20'000; ++k) spin = spin + k;
          const int now = skein::this_worker::index();
          if (now != last) migrations.fetch_add(1, std::memory_order_relaxed);
          last = now;
        }
        finished.fetch_add(1, std::memory_order_relaxed);
        co_return first;
      }(asleep, migrations, finished)));
    while (asleep.load() < kSleepers) co_await skein::yield();
    let_go.store(true);
    int on_0 = 0;
    for (auto& h : hs) on_0 += (co_await h) == 0;
    co_return on_0;
  }()).wait();
  holder.wait();
  EXPECT_EQ(finished.load(), kSleepers);
  EXPECT_EQ(started_on_0, kSleepers) << "worker 1 was held: every sleeper must have started on worker 0";
  EXPECT_GT(migrations.load(), 0) << "no task ever resumed on another worker";
}

TEST(Timer, IdleRuntimeUsesAlmostNoCpu) {
  skein::Runtime rt(skein::Options{.workers = 2});
  // A sleeper far in the future: the workers sleep in their rings.
  auto h = rt.spawn([]() -> Task<void> { co_await skein::sleep_for(5s); }());
  std::this_thread::sleep_for(100ms);
  auto cpu = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return std::chrono::seconds(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           std::chrono::microseconds(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const auto c0 = cpu();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(1s);
  const auto used = cpu() - c0;
  const auto wall = Clock::now() - t0;
  std::printf("idle runtime (2 workers, one 5 s sleeper): %lld us CPU over %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(used).count()),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()));
  EXPECT_LT(used, wall / 20) << "idle CPU " << std::chrono::duration_cast<std::chrono::microseconds>(used).count()
                             << " us over 1 s";
  h.cancel();
  EXPECT_THROW(h.wait(), skein::operation_canceled);
}

TEST(Timer, HugeDurationsDoNotOverflow) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    auto h = skein::spawn([]() -> Task<void> { co_await skein::sleep_for(std::chrono::hours::max()); }());
    co_await skein::sleep_for(5ms);
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    const int v = co_await skein::with_timeout(std::chrono::seconds::max(), []() -> Task<int> { co_return 3; }());
    EXPECT_EQ(v, 3);
    // A negative duration is a deadline already passed.
    co_await skein::sleep_for(-5s);
  }());
}

// Cancelling a task that waits in with_timeout cancels the inner task too
// (long before the deadline) and the caller sees operation_canceled.
TEST(Timer, CancellingTheCallerOfWithTimeoutCancelsTheInnerTask) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const auto t0 = Clock::now();
  rt.block_on([]() -> Task<void> {
    auto h = skein::spawn([]() -> Task<void> { co_await skein::with_timeout(30s, skein::sleep_for(30s)); }());
    co_await skein::sleep_for(10ms);
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
  }());
  EXPECT_LT(Clock::now() - t0, 5s);
}

// Sleepers that all become due in one poll (the worker was busy past every
// deadline) still run in deadline order.
TEST(Timer, SleepersDueTogetherRunInDeadlineOrder) {
  skein::Runtime rt(skein::Options{.workers = 1});
  std::vector<int> order;
  int registered = 0;  // one worker: no lock needed
  rt.block_on([](std::vector<int>& order, int& registered) -> Task<void> {
    const auto base = Clock::now() + 200ms;
    std::vector<skein::JoinHandle<void>> hs;
    for (int i = 99; i >= 0; --i)
      hs.push_back(skein::spawn([](int i, Clock::time_point base, std::vector<int>& order, int& registered) -> Task<void> {
        ++registered;
        co_await skein::sleep_until(base + std::chrono::microseconds(50 * i));
        order.push_back(i);
      }(i, base, order, registered)));
    for (int i = 0; i < 100000 && registered < 100; ++i) co_await skein::yield();
    EXPECT_EQ(registered, 100);
    EXPECT_LT(Clock::now(), base) << "too slow to set up the sleepers";
    while (Clock::now() < base + 20ms) {
    }  // keep the only worker busy past every deadline
    for (auto& h : hs) co_await h;
  }(order, registered));
  ASSERT_EQ(order.size(), 100u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << [&] {
    std::string o;
    for (int i : order) o += std::to_string(i) + " ";
    return o;
  }();
}

// Tasks woken together by their worker's I/O poll (here: timers) stay on
// that worker: they are not put where the idle worker could steal them
// (runtime/worker.hpp, I/O-ready tasks). Each does ~100 us of work after
// waking, so a batch keeps its worker busy long enough for a thief to wake
// up and steal, if stealing them were allowed.
TEST(Timer, TasksWokenTogetherStayOnTheirWorker) {
  skein::Runtime rt(skein::Options{.workers = 2});
  constexpr int kTasks = 8, kRounds = 20;
  std::atomic<int> moved{0}, finished{0};
  rt.block_on([](std::atomic<int>& moved, std::atomic<int>& finished) -> Task<void> {
    const auto base = Clock::now() + 20ms;
    std::vector<skein::JoinHandle<void>> hs;
    for (int i = 0; i < kTasks; ++i)
      hs.push_back(skein::spawn([](Clock::time_point base, std::atomic<int>& moved,
                                   std::atomic<int>& finished) -> Task<void> {
        co_await skein::sleep_until(base);
        const int home = skein::this_worker::index();
        for (int r = 1; r <= kRounds; ++r) {
          co_await skein::sleep_until(base + r * 3ms);
          if (skein::this_worker::index() != home) moved.fetch_add(1, std::memory_order_relaxed);
          const auto busy_until = Clock::now() + 100us;
          while (Clock::now() < busy_until) {
          }
        }
        finished.fetch_add(1, std::memory_order_relaxed);
      }(base, moved, finished)));
    for (auto& h : hs) co_await h;
  }(moved, finished));
  EXPECT_EQ(finished.load(), kTasks);
  EXPECT_EQ(moved.load(), 0) << "tasks woken by their worker's timers were run by another worker";
}

// with_timeout around a wait that is not an io operation (a channel recv):
// the deadline cancels the recv through its cancel hook, which schedules the
// task on the worker that is sleeping in its ring; the park must end.

TEST(Timer, WithTimeoutAroundAChannelRecvExpires) {
  skein::Runtime rt(skein::Options{.workers = 2});
  auto outcome = rt.block_on([]() -> skein::Task<int> {
    skein::Channel<int> ch(1);
    auto recv = [](skein::Channel<int>& c) -> skein::Task<std::optional<int>> { co_return co_await c.recv(); };
    try {
      co_await skein::with_timeout(std::chrono::milliseconds(20), recv(ch));
    } catch (const std::system_error& e) {
      co_return e.code() == std::errc::timed_out ? 1 : 2;
    }
    co_return 0;
  }());
  EXPECT_EQ(outcome, 1);
}
