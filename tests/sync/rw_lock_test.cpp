// RwLock: sharing and exclusion, FIFO between readers and writers, readers
// let in together, cancellation that unblocks the queue, downgrade, the budget
// rule, and a stress under the sanitizers.
#include "skein/rw_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::RwLock;
using skein::Task;
using skein_test::eventually;

TEST(RwLock, ReadersShareAndAWriterExcludes) {
  RwLock l;
  auto r1 = l.try_read();
  auto r2 = l.try_read();
  EXPECT_TRUE(r1.owns_lock());
  EXPECT_TRUE(r2.owns_lock());
  EXPECT_EQ(l.readers(), 2u);
  EXPECT_FALSE(l.try_write().owns_lock());
  r1.unlock();
  r2.unlock();
  EXPECT_THROW(r2.unlock(), std::logic_error);
  auto w = l.try_write();
  EXPECT_TRUE(w.owns_lock());
  EXPECT_TRUE(l.write_locked());
  EXPECT_FALSE(l.try_read().owns_lock());
  EXPECT_FALSE(l.try_write().owns_lock());
  w = RwLock::WriteGuard();  // move-assigning releases
  EXPECT_FALSE(l.write_locked());
  EXPECT_TRUE(l.try_read().owns_lock());
}

Task<void> read_then_log(RwLock* l, std::vector<std::string>* log, std::string name) {
  auto g = co_await l->read();
  log->push_back(name);
}
Task<void> write_then_log(RwLock* l, std::vector<std::string>* log, std::string name) {
  auto g = co_await l->write();
  log->push_back(name);
}

// A waiting writer holds back readers that come after it, and the readers
// queued together behind it come in together.
TEST(RwLock, FifoBetweenReadersAndWriters) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    RwLock l;
    std::vector<std::string> log;
    auto first = co_await l.read();
    auto w = skein::spawn(write_then_log(&l, &log, "w"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 1; }));
    EXPECT_FALSE(l.try_read().owns_lock()) << "a reader got past a waiting writer";
    // One at a time, so that the queue order is the spawn order.
    auto r1 = skein::spawn(read_then_log(&l, &log, "r1"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 2; }));
    auto r2 = skein::spawn(read_then_log(&l, &log, "r2"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 3; }));
    auto w2 = skein::spawn(write_then_log(&l, &log, "w2"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 4; }));
    first.unlock();
    co_await w;
    co_await r1;
    co_await r2;
    co_await w2;
    // r1 and r2 are let in together; which of the two runs first is the
    // scheduler's business.
    EXPECT_EQ(log.size(), 4u);
    if (log.size() == 4) {
      EXPECT_EQ(log[0], "w");
      EXPECT_EQ(std::set<std::string>(log.begin() + 1, log.begin() + 3), (std::set<std::string>{"r1", "r2"}));
      EXPECT_EQ(log[3], "w2");
    }
  }());
}

Task<void> hold_read_until(RwLock* l, std::atomic<int>* inside, std::atomic<bool>* leave) {
  auto g = co_await l->read();
  inside->fetch_add(1);
  while (!leave->load()) co_await skein::yield();
}

TEST(RwLock, ReadersQueuedTogetherEnterTogether) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    RwLock l;
    std::atomic<int> inside{0};
    std::atomic<bool> leave{false};
    std::vector<std::string> log;
    auto w = co_await l.write();
    std::vector<skein::JoinHandle<void>> readers;
    for (int i = 0; i < 3; ++i) readers.push_back(skein::spawn(hold_read_until(&l, &inside, &leave)));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 3; }));
    auto w2 = skein::spawn(write_then_log(&l, &log, "w2"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 4; }));
    w.unlock();
    EXPECT_TRUE(co_await eventually([&] { return inside.load() == 3; }));
    EXPECT_EQ(l.readers(), 3u);
    EXPECT_EQ(l.waiting(), 1u);  // the writer behind them still waits
    EXPECT_TRUE(log.empty());
    leave.store(true);
    for (auto& r : readers) co_await r;
    co_await w2;
    EXPECT_EQ(log, (std::vector<std::string>{"w2"}));
  }());
}

// Active readers, a writer waiting, a reader waiting behind the writer:
// cancelling the writer lets that reader in at once.
TEST(RwLock, ACancelledWriterLetsTheReadersBehindItIn) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    RwLock l;
    std::vector<std::string> log;
    auto held = co_await l.read();
    auto w = skein::spawn(write_then_log(&l, &log, "w"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 1; }));
    std::atomic<int> inside{0};
    std::atomic<bool> leave{false};
    auto r = skein::spawn(hold_read_until(&l, &inside, &leave));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 2; }));
    w.cancel();
    EXPECT_THROW(co_await w, skein::operation_canceled);
    EXPECT_TRUE(co_await eventually([&] { return inside.load() == 1; })) << "the reader stayed stuck behind a cancelled writer";
    EXPECT_EQ(l.readers(), 2u);
    leave.store(true);
    co_await r;
    held.unlock();
    EXPECT_TRUE(log.empty());
    EXPECT_TRUE(l.try_write().owns_lock());
  }());
}

TEST(RwLock, DowngradeLetsQueuedReadersInButNoWriter) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    RwLock l;
    std::vector<std::string> log;
    std::atomic<int> inside{0};
    std::atomic<bool> leave{false};
    auto w = co_await l.write();
    auto r = skein::spawn(hold_read_until(&l, &inside, &leave));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 1; }));
    auto w2 = skein::spawn(write_then_log(&l, &log, "w2"));
    EXPECT_TRUE(co_await eventually([&] { return l.waiting() == 2; }));
    RwLock::ReadGuard mine = std::move(w).downgrade();
    EXPECT_FALSE(w.owns_lock());
    EXPECT_TRUE(mine.owns_lock());
    EXPECT_TRUE(co_await eventually([&] { return inside.load() == 1; }));
    EXPECT_EQ(l.readers(), 2u);
    EXPECT_FALSE(l.write_locked());
    EXPECT_EQ(l.waiting(), 1u);
    EXPECT_THROW((void)std::move(w).downgrade(), std::logic_error);
    leave.store(true);
    co_await r;
    mine.unlock();
    co_await w2;
    EXPECT_EQ(log, (std::vector<std::string>{"w2"}));
  }());
}

Task<void> write_loop(RwLock* l, int n, std::int64_t* counter, int* saw_queue) {
  for (int i = 0; i < n; ++i) {
    auto g = co_await l->write();
    if (l->waiting() > 0) ++*saw_queue;
    ++*counter;
  }
}

// One worker: a writer can only find the lock taken if its holder yielded
// while holding it. The budget's yield comes before acquiring.
TEST(RwLock, ABudgetYieldNeverHappensWhileHoldingTheLock) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    RwLock l;
    std::int64_t counter = 0;
    int saw_queue = 0;
    co_await skein_test::spawn_all_and_join(4, [&](int) { return write_loop(&l, 5'000, &counter, &saw_queue); });
    EXPECT_EQ(counter, 20'000);
    EXPECT_EQ(saw_queue, 0);
  }());
}

// Writers keep two fields equal; readers must never see them differ. Some
// tasks are cancelled in the middle. Every write that returned is counted.
TEST(RwLock, StressReadersNeverSeeAHalfWrite) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const int tasks = 16, rounds = static_cast<int>(skein_test::scaled(4'000));
  struct Shared {
    std::int64_t a = 0, b = 0;
  };
  std::atomic<std::int64_t> writes{0};
  std::atomic<int> torn{0};
  const std::int64_t final_a = rt.block_on([](int tasks, int rounds, std::atomic<std::int64_t>& writes,
                                              std::atomic<int>& torn) -> Task<std::int64_t> {
    RwLock l;
    Shared s;
    std::vector<skein::JoinHandle<void>> hs;
    for (int t = 0; t < tasks; ++t)
      hs.push_back(skein::spawn([](RwLock& l, Shared& s, int t, int rounds, std::atomic<std::int64_t>& writes,
                                   std::atomic<int>& torn) -> Task<void> {
        for (int r = 0; r < rounds; ++r) {
          if ((r + t) % 4 == 0) {
            auto g = co_await l.write();
            ++s.a;
            if (r % 7 == 0) {  // hold it across a suspension now and then (readers would see a == b + 1)
              try {
                co_await skein::yield();
              } catch (const skein::operation_canceled&) {
                ++s.b;  // a write is finished even when cancelled half-way
                writes.fetch_add(1, std::memory_order_relaxed);
                throw;
              }
            }
            ++s.b;
            writes.fetch_add(1, std::memory_order_relaxed);
          } else {
            auto g = co_await l.read();
            if (s.a != s.b) torn.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }(l, s, t, rounds, writes, torn)));
    // Cancel a few mid-way: their waits withdraw and the queue moves on.
    for (int t = 0; t < tasks; t += 5) hs[static_cast<std::size_t>(t)].cancel();
    for (auto& h : hs) {
      try {
        co_await h;
      } catch (const skein::operation_canceled&) {
      }
    }
    EXPECT_EQ(l.readers(), 0u);
    EXPECT_FALSE(l.write_locked());
    EXPECT_EQ(l.waiting(), 0u);
    EXPECT_EQ(s.a, s.b);
    co_return s.a;
  }(tasks, rounds, writes, torn));
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(final_a, writes.load());
  EXPECT_GT(writes.load(), 0);
}

}  // namespace
