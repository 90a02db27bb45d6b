// with_deadline / with_timeout as a scope inside the caller's task: where the
// inner task runs, what the caller sees afterwards, nesting, cancel against
// timeout, timers left behind, and a stress of deadlines racing completions.
#include <atomic>
#include <chrono>
#include <random>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "io_test_util.hpp"
#include "skein/channel.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "tests/stress_scale.hpp"

using namespace std::chrono_literals;
using skein::Clock;
using skein::Task;

namespace {

bool is_timeout(const std::system_error& e) { return e.code() == std::errc::timed_out; }

std::uint64_t pending_timers(const skein::Runtime& rt) { return rt.stats().total().pending_timers; }

}  // namespace

// No spawn: the inner task is the caller's task, on the caller's worker, and
// a pinned caller stays pinned through it.
TEST(Deadline, RunsInsideTheCallersTaskOnItsWorker) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const auto spawned_before = rt.stats().total().spawned;
  auto h = rt.spawn_on(1, []() -> Task<bool> {
    const auto me = skein::this_task::id();
    auto [id, worker] = co_await skein::with_timeout(10s, []() -> Task<std::pair<std::uint64_t, int>> {
      for (int i = 0; i < 5; ++i) co_await skein::yield();
      co_await skein::sleep_for(1ms);
      co_return std::pair{skein::this_task::id(), skein::this_worker::index()};
    }());
    co_return id == me && worker == 1;
  }());
  EXPECT_TRUE(h.wait());
  EXPECT_EQ(rt.stats().total().spawned, spawned_before) << "with_timeout spawned a task";
}

// A timeout stops only what ran inside the scope: the caller's next waits
// (a sleep, a channel, a yield) run normally.
TEST(Deadline, TheCallerGoesOnAfterATimeout) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    for (int round = 0; round < 3; ++round) {
      bool timed_out = false;
      try {
        co_await skein::with_timeout(5ms, skein::sleep_for(30s));
      } catch (const std::system_error& e) {
        timed_out = is_timeout(e);
      }
      EXPECT_TRUE(timed_out);
      co_await skein::sleep_for(2ms);
      co_await skein::yield();
      skein::Channel<int> ch(1);
      co_await ch.send(round);
      EXPECT_EQ(co_await ch.recv(), std::optional<int>(round));
    }
  }());
}

// An inner scope's timeout is the inner caller's; an outer deadline that
// passes inside an inner scope stops the inner task (operation_canceled
// there) and comes out of the outer scope as timed_out.
TEST(Deadline, NestedDeadlinesEachReportTheirOwn) {
  skein::Runtime rt(skein::Options{.workers = 2});
  bool inner_timed_out = false, inner_saw_cancel = false, outer_timed_out = false;
  const auto t0 = Clock::now();
  rt.block_on([&]() -> Task<void> {
    try {
      co_await skein::with_timeout(200ms, [&]() -> Task<void> {
        try {
          co_await skein::with_timeout(5ms, skein::sleep_for(30s));
        } catch (const std::system_error& e) {
          inner_timed_out = is_timeout(e);
        }
        co_await skein::sleep_for(1ms);  // the outer scope is not stopped by the inner timeout
        try {
          co_await skein::with_timeout(30s, skein::sleep_for(30s));
        } catch (const skein::operation_canceled&) {
          inner_saw_cancel = true;
          throw;
        }
      }());
    } catch (const std::system_error& e) {
      outer_timed_out = is_timeout(e);
    }
  }());
  const auto took = Clock::now() - t0;
  EXPECT_TRUE(inner_timed_out);
  EXPECT_TRUE(inner_saw_cancel) << "the 30 s scope must see the outer deadline as a cancel, not as its own timeout";
  EXPECT_TRUE(outer_timed_out);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 10s);
}

// The deadline has passed and the task is also cancelled: the cancel wins
// (operation_canceled, not timed_out), and it stays cancelled.
TEST(Deadline, ACancelWinsOverATimeout) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::atomic<bool> deadline_seen{false}, cancel_sent{false};
  auto h = rt.spawn([](std::atomic<bool>& deadline_seen, std::atomic<bool>& cancel_sent) -> Task<void> {
    co_await skein::with_timeout(5ms, [](std::atomic<bool>& deadline_seen, std::atomic<bool>& cancel_sent) -> Task<void> {
      try {
        co_await skein::sleep_for(30s);
      } catch (const skein::operation_canceled&) {
        deadline_seen.store(true);
        while (!cancel_sent.load()) std::this_thread::yield();
        throw;
      }
    }(deadline_seen, cancel_sent));
  }(deadline_seen, cancel_sent));
  while (!deadline_seen.load()) std::this_thread::sleep_for(1ms);
  h.cancel();
  cancel_sent.store(true);
  EXPECT_THROW(h.wait(), skein::operation_canceled);
}

// A task that finishes inside the scope keeps its result, even one that
// caught the stop itself.
TEST(Deadline, AnInnerTaskThatHandlesTheStopKeepsItsResult) {
  skein::Runtime rt(skein::Options{.workers = 1});
  const int v = rt.block_on([]() -> Task<int> {
    const int got = co_await skein::with_timeout(5ms, []() -> Task<int> {
      try {
        co_await skein::sleep_for(30s);
      } catch (const skein::operation_canceled&) {
        co_return 7;
      }
      co_return 0;
    }());
    co_await skein::sleep_for(1ms);  // and the caller is not stopped
    co_return got;
  }());
  EXPECT_EQ(v, 7);
}

// A scope closed on its own worker takes its timer out of the heap at once:
// ten thousand 30 s timeouts that finish leave nothing queued.
TEST(Deadline, ClosedScopesLeaveNoTimersQueued) {
  skein::Runtime rt(skein::Options{.workers = 1});
  const std::uint64_t left = rt.block_on([](skein::Runtime& rt) -> Task<std::uint64_t> {
    for (int i = 0; i < 10'000; ++i)
      (void)co_await skein::with_timeout(30s, []() -> Task<int> {
        co_await skein::yield();
        co_return 1;
      }());
    co_return pending_timers(rt);
  }(rt));
  EXPECT_EQ(left, 0u);
  // The gauge counts what is queued: one long sleeper shows.
  auto sleeper = rt.spawn([]() -> Task<void> { co_await skein::sleep_for(30s); }());
  const auto t0 = Clock::now();
  while (pending_timers(rt) != 1 && Clock::now() - t0 < 5s) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pending_timers(rt), 1u);
  sleeper.cancel();
  EXPECT_THROW(sleeper.wait(), skein::operation_canceled);
}

// The task moves to the other worker inside the scope (it joins a task pinned
// there and continues on that worker), so the scope closes away from the
// heap that holds its timer. The timer must never touch the task after that:
// the task sleeps on past the old deadline undisturbed, and the timer leaves
// the heap once due.
TEST(Deadline, AScopeClosedOnAnotherWorkerLeavesTheTaskAlone) {
  skein::Runtime rt(skein::Options{.workers = 2});
  struct Seen {
    int before = -1, after = -1;
  };
  const Seen seen = rt.block_on([]() -> Task<Seen> {
    Seen s;
    co_await skein::with_timeout(20ms, [](Seen& s) -> Task<void> {
      s.before = skein::this_worker::index();
      const std::size_t other = s.before == 0 ? 1 : 0;
      co_await skein::spawn_on(other, []() -> Task<void> { co_await skein::sleep_for(2ms); }());
      s.after = skein::this_worker::index();
    }(s));
    co_await skein::sleep_for(60ms);  // past the deadline: must not be cancelled
    co_return s;
  }());
  EXPECT_NE(seen.before, seen.after) << "the join did not move the task: this test did not exercise the remote close";
  const auto t0 = Clock::now();
  while (pending_timers(rt) != 0 && Clock::now() - t0 < 5s) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pending_timers(rt), 0u);
}

// Deadlines racing completions on two workers, with tasks stolen in between:
// every call ends exactly one way, and the tasks are never stopped outside a
// scope (each round ends with an unscoped sleep).
TEST(Deadline, StressDeadlinesRacingCompletions) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const int tasks = 64, rounds = skein::test::kSanitized ? 50 : 200;
  std::atomic<int> timed_out{0}, finished{0}, clean_rounds{0};
  rt.block_on([&]() -> Task<void> {
    std::vector<skein::JoinHandle<void>> hs;
    for (int t = 0; t < tasks; ++t)
      hs.push_back(skein::spawn([](int seed, int rounds, std::atomic<int>& timed_out, std::atomic<int>& finished,
                                   std::atomic<int>& clean_rounds) -> Task<void> {
        std::minstd_rand rng(static_cast<unsigned>(seed));
        for (int r = 0; r < rounds; ++r) {
          const auto limit = std::chrono::microseconds(rng() % 400);
          const auto work = std::chrono::microseconds(rng() % 400);
          try {
            co_await skein::with_timeout(limit, [](std::chrono::microseconds work) -> Task<void> {
              co_await skein::sleep_for(work);
              co_await skein::yield();  // a chance to be stolen inside the scope
            }(work));
            finished.fetch_add(1, std::memory_order_relaxed);
          } catch (const std::system_error& e) {
            if (is_timeout(e)) timed_out.fetch_add(1, std::memory_order_relaxed);
          }
          co_await skein::sleep_for(std::chrono::microseconds(rng() % 50));
          co_await skein::yield();
          clean_rounds.fetch_add(1, std::memory_order_relaxed);
        }
      }(t + 1, rounds, timed_out, finished, clean_rounds)));
    for (auto& h : hs) co_await h;
  }());
  EXPECT_EQ(timed_out.load() + finished.load(), tasks * rounds);
  EXPECT_EQ(clean_rounds.load(), tasks * rounds);
  EXPECT_GT(timed_out.load(), 0);
  EXPECT_GT(finished.load(), 0);
  std::printf("%d timed out, %d finished\n", timed_out.load(), finished.load());
}
