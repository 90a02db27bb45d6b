// Scheduling policy: yield, LIFO bound, cooperative budget, pinned tasks,
// parking (no lost wake-ups, idle CPU), blocking pool, cancellation, shutdown.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <chrono>
#include <coroutine>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "skein/skein.hpp"
#include "tests/stress_scale.hpp"

namespace {

using namespace std::chrono_literals;

// Suspends forever: nothing ever schedules the task again.
struct Never {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { skein::detail::suspend_current(h); }
  void await_resume() const noexcept {}
};

struct Probe {
  std::atomic<int>* destroyed;
  explicit Probe(std::atomic<int>* d) : destroyed(d) {}
  Probe(Probe&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
  ~Probe() {
    if (destroyed) destroyed->fetch_add(1);
  }
};

TEST(Scheduler, YieldLetsOthersRun) {
  skein::Runtime rt(skein::Options{.workers = 1});
  auto order = rt.block_on([]() -> skein::Task<std::vector<int>> {
    std::vector<int> seen;
    auto other = skein::spawn([](std::vector<int>& s) -> skein::Task<void> {
      s.push_back(2);
      co_return;
    }(seen));
    seen.push_back(1);
    co_await skein::yield();  // the spawned task runs before we continue
    seen.push_back(3);
    co_await other;
    co_return seen;
  }());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// A task that keeps awaiting results that are already there never suspends
// on its own; the budget makes it yield, so a task queued behind it runs.
TEST(Scheduler, BudgetAppliesToReadyJoins) {
  skein::Runtime rt(skein::Options{.workers = 1, .budget = 64});
  long awaited_before_flag = rt.block_on([]() -> skein::Task<long> {
    std::vector<skein::JoinHandle<int>> finished;
    for (int i = 0; i < 5000; ++i) finished.push_back(skein::spawn([]() -> skein::Task<int> { co_return 1; }()));
    for (auto& h : finished)
      while (!h.is_finished()) co_await skein::yield();
    std::atomic<bool> flag{false};
    auto setter = skein::spawn([](std::atomic<bool>& f) -> skein::Task<void> {
      f.store(true);
      co_return;
    }(flag));
    long awaited = 0;
    for (auto& h : finished) {
      if (flag.load()) break;
      awaited += co_await h;  // ready: no suspension while budget remains
    }
    co_await setter;
    co_return awaited;
  }());
  EXPECT_GE(awaited_before_flag, 1);
  EXPECT_LE(awaited_before_flag, 64 + 1);
}

// A custom always-ready awaitable that charges the budget, as the runtime's
// own ready paths do.
struct ReadyButCharged {
  skein::detail::TaskHeader* me = nullptr;
  bool await_ready() noexcept { return skein::detail::coop_consume(); }
  void await_suspend(std::coroutine_handle<> h) { skein::detail::schedule_yield(skein::detail::suspend_current(h)); }
  void await_resume() noexcept {}
};

TEST(Scheduler, BudgetYieldsAHotTaskAfterItsBudget) {
  skein::Runtime rt(skein::Options{.workers = 1, .budget = 64});
  long iterations = rt.block_on([]() -> skein::Task<long> {
    std::atomic<bool> flag{false};
    auto setter = skein::spawn([](std::atomic<bool>& f) -> skein::Task<void> {
      f.store(true);
      co_return;
    }(flag));
    long i = 0;
    while (!flag.load() && i < 100'000'000) {
      co_await ReadyButCharged{};
      ++i;
    }
    co_await setter;
    co_return i;
  }());
  // The setter ran after at most a few budgets' worth of ready awaits.
  EXPECT_LE(iterations, 64 * 4);
  EXPECT_GE(iterations, 1);
}

// Two tasks that wake each other through the LIFO slot cannot keep the other
// tasks of their worker from running: past 3 LIFO polls the slot's task goes
// to the deque, where the second worker steals from.
TEST(Scheduler, LifoPingPongDoesNotStarveOthers) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::atomic<int> others_done{0};
  std::atomic<bool> stop{false};
  rt.block_on([](std::atomic<int>& done, std::atomic<bool>& st) -> skein::Task<void> {
    // Ping-pong: each wakes the other by spawning it again (a fresh LIFO task).
    struct PingPong {
      static skein::Task<void> bounce(std::atomic<bool>& s, int n) {
        if (s.load() || n > 2'000'000) co_return;
        auto next = skein::spawn(bounce(s, n + 1));
        co_await next;
      }
    };
    auto pp = skein::spawn(PingPong::bounce(st, 0));
    std::vector<skein::JoinHandle<void>> others;
    for (int i = 0; i < 100; ++i)
      others.push_back(skein::spawn([](std::atomic<int>& d) -> skein::Task<void> {
        d.fetch_add(1);
        co_return;
      }(done)));
    for (auto& o : others) co_await o;
    st.store(true);
    co_await pp;
  }(others_done, stop));
  EXPECT_EQ(others_done.load(), 100);
}

TEST(Scheduler, PinnedTasksNeverMigrate) {
  skein::Runtime rt(skein::Options{.workers = 2});
  auto migrations = rt.block_on([]() -> skein::Task<int> {
    std::vector<skein::JoinHandle<int>> hs;
    for (int w = 0; w < 2; ++w) {
      for (int k = 0; k < 8; ++k) {
        hs.push_back(skein::spawn_on(w, [](int expected) -> skein::Task<int> {
          int moved = 0;
          for (int i = 0; i < 2000; ++i) {
            moved += skein::this_worker::index() != expected;
            co_await skein::yield();
            // Busy the workers so that stealing would happen if allowed.
            auto h = skein::spawn([]() -> skein::Task<int> { co_return 1; }());
            co_await h;
            moved += skein::this_worker::index() != expected;
          }
          co_return moved;
        }(w)));
      }
    }
    // spawn_local pins to the current worker.
    const int here = skein::this_worker::index();
    hs.push_back(skein::spawn_local([](int expected) -> skein::Task<int> {
      int moved = 0;
      for (int i = 0; i < 1000; ++i) {
        co_await skein::yield();
        moved += skein::this_worker::index() != expected;
      }
      co_return moved;
    }(here)));
    int total = 0;
    for (auto& h : hs) total += co_await h;
    co_return total;
  }());
  EXPECT_EQ(migrations, 0);
}

TEST(Scheduler, SpawnOnFromOutsideRunsOnThatWorker) {
  skein::Runtime rt(skein::Options{.workers = 2});
  for (int w = 0; w < 2; ++w) {
    auto h = rt.spawn_on(w, []() -> skein::Task<int> {
      co_await skein::yield();
      co_return skein::this_worker::index();
    }());
    EXPECT_EQ(h.wait(), w);
  }
}

// Idle protocol: many cycles of "every worker parks, then an outside thread
// spawns one task and waits for it". A lost wake-up hangs here (and the
// ctest TIMEOUT turns the hang into a failure).
TEST(Scheduler, SpawnParkCyclesFromOutsideAllComplete) {
  const long cycles = skein_test::scaled(1'000'000, 20'000);
  skein::Runtime rt(skein::Options{.workers = 2});
  long sum = 0;
  for (long i = 0; i < cycles; ++i) sum += rt.spawn([](long v) -> skein::Task<long> { co_return v; }(i)).wait();
  EXPECT_EQ(sum, cycles * (cycles - 1) / 2);
}

TEST(Scheduler, ConcurrentOutsideSpawnersNoLostWakeups) {
  const int per_thread = static_cast<int>(skein_test::scaled(50'000, 2'000));
  skein::Runtime rt(skein::Options{.workers = 2});
  std::atomic<long> sum{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) sum += rt.spawn([]() -> skein::Task<long> { co_return 1; }()).wait();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sum.load(), 3L * per_thread);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

TEST(Scheduler, IdleRuntimeUsesAlmostNoCpu) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> skein::Task<void> { co_return; }());
  std::this_thread::sleep_for(100ms);  // let the workers settle into parking
  const double before = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(1s);
  const double used = cpu_seconds() - before;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LE(used / wall, 0.01) << "idle runtime used " << used << " s of CPU in " << wall << " s";
}

TEST(Scheduler, SpawnBlockingRunsOffTheWorkers) {
  skein::Runtime rt(skein::Options{.workers = 1});
  auto result = rt.block_on([]() -> skein::Task<int> {
    std::atomic<bool> release{false};
    // A blocking job that waits for a task to run: if it ran on the only
    // worker, that task could never run and this would hang.
    auto blocking = skein::spawn_blocking([&release] {
      for (int i = 0; i < 5000 && !release.load(); ++i) std::this_thread::sleep_for(1ms);
      return release.load() ? 42 : -1;
    });
    auto releaser = skein::spawn([](std::atomic<bool>& r) -> skein::Task<void> {
      r.store(true);
      co_return;
    }(release));
    co_await releaser;
    co_return co_await blocking;
  }());
  EXPECT_EQ(result, 42);
}

TEST(Scheduler, SpawnBlockingGrowsAndPropagatesExceptions) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::atomic<int> running{0}, peak{0};
  auto ok = rt.block_on([](std::atomic<int>& run, std::atomic<int>& pk) -> skein::Task<bool> {
    std::vector<skein::JoinHandle<int>> hs;
    for (int i = 0; i < 8; ++i)
      hs.push_back(skein::spawn_blocking([&run, &pk, i] {
        const int now = run.fetch_add(1) + 1;
        int p = pk.load();
        while (now > p && !pk.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(50ms);
        run.fetch_sub(1);
        return i;
      }));
    int sum = 0;
    for (auto& h : hs) sum += co_await h;
    auto bad = skein::spawn_blocking([]() -> int { throw std::runtime_error("blocking failed"); });
    try {
      co_await bad;
    } catch (const std::runtime_error&) {
      co_return sum == 28;
    }
    co_return false;
  }(running, peak));
  EXPECT_TRUE(ok);
  EXPECT_GE(peak.load(), 2);  // jobs ran on more than one pool thread at once
}

// A joined blocking job's state is freed as what it is (it holds the
// callable): what the callable captured is released. Deleting it as a plain
// SpawnState leaked the captures (and freed the block with the wrong size).
TEST(Scheduler, AJoinedBlockingJobReleasesWhatItsCallableCaptured) {
  skein::Runtime rt(skein::Options{.workers = 2});
  auto held = std::make_shared<int>(5);
  const int sum = rt.block_on([](std::shared_ptr<int> held) -> skein::Task<int> {
    int sum = 0;
    for (int i = 0; i < 10; ++i) sum += co_await skein::spawn_blocking([held, text = std::string(64, 'x')] {
      return *held + static_cast<int>(text.size());
    });
    co_return sum;
  }(held));
  EXPECT_EQ(sum, 10 * (5 + 64));
  EXPECT_EQ(held.use_count(), 1) << "a joined job kept its callable's captures alive";
}

TEST(Scheduler, ShutdownWaitsForRunningBlockingJobsAndReportsQueuedOnes) {
  std::atomic<bool> started{false}, release{false};
  skein::Runtime rt(skein::Options{.workers = 1, .max_blocking_threads = 1});
  auto running = skein::spawn_blocking(rt, [&started, &release] {
    started.store(true);
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return 1;
  });
  // Started, not merely a pool thread created: a thread that exists but has
  // not yet taken the job would leave four jobs unstarted.
  while (!started.load()) std::this_thread::sleep_for(1ms);
  std::vector<skein::JoinHandle<int>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(skein::spawn_blocking(rt, [] { return 2; }));
  std::thread releaser([&release] {
    std::this_thread::sleep_for(50ms);
    release.store(true);
  });
  const skein::ShutdownReport report = rt.shutdown();  // returns once the running job is done
  releaser.join();
  EXPECT_EQ(report.unstarted_blocking_jobs, 3u);
  EXPECT_EQ(running.wait(), 1);
  for (auto& h : queued) EXPECT_THROW(h.wait(), skein::runtime_shutdown);
  EXPECT_THROW(skein::spawn_blocking(rt, [] { return 3; }), skein::runtime_shutdown);
}

TEST(Scheduler, CancelledTaskSeesOperationCanceled) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::atomic<int> destroyed{0};
  auto h = rt.spawn([](Probe) -> skein::Task<int> {
    for (;;) co_await skein::yield();
  }(Probe(&destroyed)));
  std::this_thread::sleep_for(10ms);
  h.cancel();
  EXPECT_THROW(h.wait(), skein::operation_canceled);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(Scheduler, ShutdownDestroysPendingTasksAndReports) {
  std::atomic<int> destroyed{0};
  std::atomic<int> ran{0};
  std::vector<skein::JoinHandle<int>> suspended, queued;
  {
    skein::Runtime rt(skein::Options{.workers = 1});
    // Suspended forever, each with a deep await chain.
    for (int i = 0; i < 10; ++i) {
      suspended.push_back(rt.spawn([](Probe p) -> skein::Task<int> {
        struct Deep {
          static skein::Task<int> go(int n) {
            if (n == 0) {
              co_await Never{};
              co_return 0;
            }
            co_return co_await go(n - 1);
          }
        };
        co_return co_await Deep::go(10'000);
      }(Probe(&destroyed))));
    }
    for (int i = 0; i < 100; ++i)
      queued.push_back(rt.spawn([](Probe p, std::atomic<int>& r) -> skein::Task<int> {
        r.fetch_add(1);
        co_return 1;
      }(Probe(&destroyed), ran)));
    // Detached tasks that never finish must not leak either.
    rt.spawn([](Probe p) -> skein::Task<void> { co_await Never{}; }(Probe(&destroyed))).detach();
    const skein::ShutdownReport report = rt.shutdown();
    EXPECT_THROW(rt.spawn([]() -> skein::Task<void> { co_return; }()), skein::runtime_shutdown);
    // The 10 suspended and the detached one at least; queued ones that had
    // not run yet too.
    EXPECT_EQ(report.unfinished_tasks, 11u + (100u - static_cast<unsigned>(ran.load())));
    EXPECT_EQ(rt.shutdown().unfinished_tasks, 0u);  // idempotent
  }
  EXPECT_EQ(destroyed.load(), 111);
  for (auto& h : suspended) EXPECT_THROW(h.wait(), skein::runtime_shutdown);
  int finished = 0, aborted = 0;
  for (auto& h : queued) {
    try {
      finished += h.wait();
    } catch (const skein::runtime_shutdown&) {
      ++aborted;
    }
  }
  EXPECT_EQ(finished, ran.load());
  EXPECT_EQ(finished + aborted, 100);
}

TEST(Scheduler, StatsCountWork) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> skein::Task<void> {
    for (int i = 0; i < 1000; ++i) co_await skein::spawn([]() -> skein::Task<void> { co_return; }());
  }());
  auto s = rt.stats();
  ASSERT_EQ(s.workers.size(), 2u);
  EXPECT_GE(s.total().spawned, 1000u);
  EXPECT_GE(s.total().polls, 1001u);
}

TEST(Runtime, PinnedWorkersRunOnOneCpuEach) {
  skein::Runtime rt(skein::Options{.workers = 2, .pin_workers = true});
  auto cpus_per_worker = rt.block_on([]() -> skein::Task<std::vector<int>> {
    std::vector<int> counts;
    for (int w = 0; w < 2; ++w) {
      auto h = skein::spawn_on(w, []() -> skein::Task<int> {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) != 0) co_return -1;
        co_return CPU_COUNT(&set);
      }());
      counts.push_back(co_await h);
    }
    co_return counts;
  }());
  EXPECT_EQ(cpus_per_worker, (std::vector<int>{1, 1}));
}

TEST(Runtime, OptionsAreValidated) {
  EXPECT_THROW(skein::Runtime(skein::Options{.workers = 1, .budget = 0}), std::invalid_argument);
  EXPECT_GE(skein::available_cpus(), 1u);
  skein::Runtime rt;  // default: one worker per available CPU
  EXPECT_EQ(rt.worker_count(), skein::available_cpus());
}

}  // namespace
