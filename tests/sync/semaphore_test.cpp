// Semaphore: permits, bound on concurrency, FIFO release, cancellation.
#include "skein/semaphore.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Semaphore;
using skein::Task;

TEST(Semaphore, TryAcquireCountsPermits) {
  Semaphore s(2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  s.release(2);
  EXPECT_EQ(s.available(), 2u);
}

struct Section {
  Semaphore sem{3};
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
};

Task<void> enter(Section* s, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    co_await s->sem.acquire();
    int now = s->inside.fetch_add(1) + 1;
    int m = s->max_inside.load();
    while (now > m && !s->max_inside.compare_exchange_weak(m, now)) {
    }
    co_await skein::yield();
    s->inside.fetch_sub(1);
    s->sem.release();
  }
}

TEST(Semaphore, BoundsConcurrency) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Section s;
    std::vector<skein::JoinHandle<void>> hs;
    for (int t = 0; t < 10; ++t) hs.push_back(skein::spawn(enter(&s, 500)));
    for (auto& h : hs) co_await h;
    EXPECT_LE(s.max_inside.load(), 3);
    EXPECT_GE(s.max_inside.load(), 1);
    EXPECT_EQ(s.sem.available(), 3u);
  }());
}

Task<void> acquire_once(Semaphore* s, std::atomic<int>* got) {
  co_await s->acquire();
  got->fetch_add(1);
}

TEST(Semaphore, ReleaseWakesWaitersAndCancelTakesNoPermit) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Semaphore s(0);
    std::atomic<int> got{0};
    auto a = skein::spawn(acquire_once(&s, &got));
    auto b = skein::spawn(acquire_once(&s, &got));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return s.waiting() == 2; }));
    EXPECT_EQ(got.load(), 0);
    b.cancel();
    EXPECT_THROW(co_await b, skein::operation_canceled);
    s.release(2);
    co_await a;
    EXPECT_EQ(got.load(), 1);
    EXPECT_EQ(s.available(), 1u);  // the cancelled one took nothing
  }());
}

Task<void> acquire_loop(Semaphore* s, int times, int* entered, int* saw_queue) {
  for (int i = 0; i < times; ++i) {
    co_await s->acquire();
    ++*entered;
    if (s->waiting() > 0) ++*saw_queue;
    s->release();
  }
}

TEST(Semaphore, ABudgetYieldNeverHappensWhileHoldingAPermit) {
  // One worker, one permit: a task finds the permit taken only if its holder
  // yielded while holding it (see detail::HeldAcquireWait).
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    Semaphore s(1);
    int entered = 0, saw_queue = 0;
    co_await skein_test::spawn_all_and_join(4, [&](int) { return acquire_loop(&s, 5'000, &entered, &saw_queue); });
    EXPECT_EQ(entered, 20'000);
    EXPECT_EQ(saw_queue, 0);
    EXPECT_EQ(s.available(), 1u);
  }());
}

}  // namespace
