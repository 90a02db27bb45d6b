// Event (manual reset) and Notify (one waiter / all, one stored permit).
#include "skein/event.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "skein/notify.hpp"
#include "skein/semaphore.hpp"
#include "skein/wait_group.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Event;
using skein::Notify;
using skein::Task;

Task<void> wait_event(Event* e, std::atomic<int>* woke) {
  co_await e->wait();
  woke->fetch_add(1);
}

TEST(Event, SetWakesAllAndStaysSetUntilReset) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Event e;
    std::atomic<int> woke{0};
    std::vector<skein::JoinHandle<void>> hs;
    for (int i = 0; i < 10; ++i) hs.push_back(skein::spawn(wait_event(&e, &woke)));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return e.waiting() == 10; }));
    EXPECT_EQ(woke.load(), 0);
    e.set();
    for (auto& h : hs) co_await h;
    EXPECT_EQ(woke.load(), 10);
    EXPECT_TRUE(e.is_set());
    co_await e.wait();  // set: ready at once
    e.reset();
    EXPECT_FALSE(e.is_set());
    auto late = skein::spawn(wait_event(&e, &woke));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return e.waiting() == 1; }));
    EXPECT_EQ(woke.load(), 10);
    e.set();
    co_await late;
    EXPECT_EQ(woke.load(), 11);
  }());
}

TEST(Event, CancelWhileWaiting) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Event e;
    std::atomic<int> woke{0};
    auto h = skein::spawn(wait_event(&e, &woke));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return e.waiting() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(woke.load(), 0);
  }());
}

Task<void> wait_notify(Notify* n, std::atomic<int>* woke) {
  co_await n->notified();
  woke->fetch_add(1);
}

TEST(Notify, NotifyOneWakesExactlyOne) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Notify n;
    std::atomic<int> woke{0};
    auto a = skein::spawn(wait_notify(&n, &woke));
    auto b = skein::spawn(wait_notify(&n, &woke));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return n.waiting() == 2; }));
    n.notify_one();
    EXPECT_TRUE(co_await skein_test::eventually([&] { return woke.load() == 1; }));
    for (int k = 0; k < 50; ++k) co_await skein::yield();
    EXPECT_EQ(woke.load(), 1);
    n.notify_all();
    co_await a;
    co_await b;
    EXPECT_EQ(woke.load(), 2);
  }());
}

TEST(Notify, NotifyBeforeWaitLeavesOnePermit) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Notify n;
    n.notify_one();
    n.notify_one();          // permits do not accumulate
    co_await n.notified();   // consumes the permit, no suspension
    std::atomic<int> woke{0};
    auto h = skein::spawn(wait_notify(&n, &woke));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return n.waiting() == 1; }));  // the permit was used up
    EXPECT_EQ(woke.load(), 0);
    n.notify_all();  // notify_all stores no permit but wakes the waiter
    co_await h;
    EXPECT_EQ(woke.load(), 1);
  }());
}

TEST(Notify, CancelWhileWaitingConsumesNothing) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Notify n;
    std::atomic<int> woke{0};
    auto h = skein::spawn(wait_notify(&n, &woke));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return n.waiting() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    n.notify_one();         // no waiter left: becomes the permit
    co_await n.notified();  // so this does not suspend forever
    EXPECT_EQ(woke.load(), 0);
  }());
}

Task<void> set_flag(std::atomic<bool>* f) {
  f->store(true);
  co_return;
}

// Waits that are always ready (a set Event, a zero WaitGroup, a free
// Semaphore permit) must still let the other tasks of the worker run.
template <class MakeReadyWait>
Task<void> hot_loop_yields(MakeReadyWait ready_wait) {
  std::atomic<bool> other{false};
  auto h = skein::spawn(set_flag(&other));
  int seen_at = -1;
  for (int i = 0; i < 10'000; ++i) {
    co_await ready_wait();
    if (seen_at < 0 && other.load()) seen_at = i;
  }
  EXPECT_GE(seen_at, 0);
  co_await h;
}

TEST(CooperativeBudget, ReadyEventWaitGroupAndSemaphoreYield) {
  skein::Runtime rt(skein::Options{.workers = 1});
  Event e(true);
  skein::WaitGroup wg;
  skein::Semaphore sem(1);
  rt.block_on(hot_loop_yields([&] { return e.wait(); }));
  rt.block_on(hot_loop_yields([&] { return wg.wait(); }));
  rt.block_on(hot_loop_yields([&]() -> Task<void> {
    co_await sem.acquire();
    sem.release();
  }));
}

}  // namespace
