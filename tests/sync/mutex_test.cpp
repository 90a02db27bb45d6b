// Mutex: exclusion, exact counter under contention, FIFO hand-off, misuse,
// cancellation while waiting, cooperative budget.
#include "skein/mutex.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Mutex;
using skein::Task;
using skein_test::eventually;

TEST(Mutex, TryLockAndUnlock) {
  Mutex m;
  EXPECT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
  EXPECT_THROW(m.unlock(), std::logic_error);
}

TEST(Mutex, GuardMovesAndUnlocksOnce) {
  Mutex m;
  EXPECT_TRUE(m.try_lock());
  Mutex::Guard g(m, std::adopt_lock);
  Mutex::Guard moved(std::move(g));
  EXPECT_FALSE(g.owns_lock());
  EXPECT_TRUE(moved.owns_lock());
  moved.unlock();
  EXPECT_THROW(moved.unlock(), std::logic_error);
  EXPECT_TRUE(m.try_lock());  // free again
  m.unlock();
}

struct Counter {
  Mutex m;
  long value = 0;  // deliberately not atomic: the mutex protects it
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
};

Task<void> increment(Counter* c, long times) {
  for (long i = 0; i < times; ++i) {
    auto g = co_await c->m.lock();
    if (c->inside.fetch_add(1) != 0) c->overlaps.fetch_add(1);
    ++c->value;
    if (i % 64 == 0) co_await skein::yield();  // hold it across a suspension sometimes
    c->inside.fetch_sub(1);
  }
}

TEST(Mutex, MillionIncrementsExact) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Counter c;
    const long total = static_cast<long>(skein_test::scaled(1'000'000));
    const int tasks = 8;
    std::vector<skein::JoinHandle<void>> hs;
    for (int t = 0; t < tasks; ++t) hs.push_back(skein::spawn(increment(&c, total / tasks)));
    for (auto& h : hs) co_await h;
    EXPECT_EQ(c.value, total);
    EXPECT_EQ(c.overlaps.load(), 0);
  }());
}

Task<void> lock_and_record(Mutex* m, int id, std::vector<int>* order) {
  auto g = co_await m->lock();
  order->push_back(id);
}

TEST(Mutex, WaitersGetTheLockInFifoOrder) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Mutex m;
    std::vector<int> order;
    auto g = co_await m.lock();
    std::vector<skein::JoinHandle<void>> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(skein::spawn(lock_and_record(&m, i, &order)));
      // Let each queue up before the next is spawned, so the arrival order is known.
      EXPECT_TRUE(co_await eventually([&] { return m.waiting() == static_cast<std::size_t>(i + 1); }));
    }
    g.unlock();
    for (auto& h : hs) co_await h;
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  }());
}

TEST(Mutex, CancelWhileWaitingDoesNotTakeTheLock) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Mutex m;
    std::vector<int> order;
    auto g = co_await m.lock();
    auto h = skein::spawn(lock_and_record(&m, 1, &order));
    EXPECT_TRUE(co_await eventually([&] { return m.waiting() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    g.unlock();
    EXPECT_TRUE(m.try_lock());  // free: the cancelled waiter did not get it
    m.unlock();
    EXPECT_TRUE(order.empty());
  }());
}

TEST(Mutex, DestroyedWhileTasksWaitFailsThemClearly) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    auto m = std::make_unique<Mutex>();
    std::vector<int> order;
    EXPECT_TRUE(m->try_lock());
    auto h = skein::spawn(lock_and_record(m.get(), 1, &order));
    EXPECT_TRUE(co_await eventually([&] { return m->waiting() == 1; }));
    m.reset();
    EXPECT_THROW(co_await h, std::logic_error);
    EXPECT_TRUE(order.empty());
  }());
}

Task<void> set_flag(std::atomic<bool>* f) {
  f->store(true);
  co_return;
}

TEST(Mutex, UncontendedLockInAHotLoopYields) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    Mutex m;
    std::atomic<bool> other{false};
    auto h = skein::spawn(set_flag(&other));
    int seen_at = -1;
    for (int i = 0; i < 10'000; ++i) {
      auto g = co_await m.lock();
      if (seen_at < 0 && other.load()) seen_at = i;
    }
    EXPECT_GE(seen_at, 0);
    co_await h;
  }());
}

// Each acquisition records whether another task was queued on the mutex.
Task<void> lock_loop(Mutex* m, int times, std::int64_t* counter, int* saw_queue) {
  for (int i = 0; i < times; ++i) {
    auto g = co_await m->lock();
    ++*counter;
    if (m->waiting() > 0) ++*saw_queue;
  }
}

TEST(Mutex, ABudgetYieldNeverHappensWhileHoldingTheLock) {
  // One worker: the tasks never run at the same time, so a task can only
  // find the mutex taken if its holder yielded while holding it. Taking the
  // lock and then paying the budget's yield did exactly that, and with FIFO
  // hand-off the queue never drained again (a lock convoy).
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    Mutex m;
    std::int64_t counter = 0;
    int saw_queue = 0;
    co_await skein_test::spawn_all_and_join(4, [&](int) { return lock_loop(&m, 5'000, &counter, &saw_queue); });
    EXPECT_EQ(counter, 20'000);
    EXPECT_EQ(saw_queue, 0);
    EXPECT_EQ(m.waiting(), 0u);
  }());
}

Task<void> lock_forever(Mutex* m, std::atomic<int>* rounds) {
  for (;;) {
    auto g = co_await m->lock();
    rounds->fetch_add(1, std::memory_order_relaxed);
  }
}

TEST(Mutex, CancelDuringTheBudgetYieldLeavesTheLockFree) {
  // The hot loop only suspends in the yield it takes before relocking once its
  // budget is spent; the cancel lands there.
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    Mutex m;
    std::atomic<int> rounds{0};
    auto h = skein::spawn(lock_forever(&m, &rounds));
    EXPECT_TRUE(co_await eventually([&] { return rounds.load() > 1'000; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_TRUE(m.try_lock());  // the cancelled task holds nothing
    m.unlock();
  }());
}

}  // namespace
