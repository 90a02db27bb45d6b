// WaitGroup: add/done/wait, misuse, cancellation, 10^5 tasks.
#include "skein/wait_group.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Task;
using skein::WaitGroup;

TEST(WaitGroup, WaitOnZeroIsReady) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    WaitGroup wg;
    co_await wg.wait();
    EXPECT_EQ(wg.count(), 0);
  }());
}

TEST(WaitGroup, DoneBelowZeroIsALogicErrorAndLeavesTheCounter) {
  WaitGroup wg;
  EXPECT_THROW(wg.done(), std::logic_error);
  EXPECT_EQ(wg.count(), 0);
  wg.add(2);
  try {
    wg.add(-3);
    ADD_FAILURE() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos);
  }
  EXPECT_EQ(wg.count(), 2);
}

Task<void> work_then_done(WaitGroup* wg, std::atomic<long>* ran) {
  co_await skein::yield();
  ran->fetch_add(1);
  wg->done();
}

Task<void> waiter(WaitGroup* wg, std::atomic<long>* ran, long expected) {
  co_await wg->wait();
  EXPECT_EQ(ran->load(), expected);
}

TEST(WaitGroup, HundredThousandTasks) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    const long n = skein_test::kStressScale > 1 ? 10'000 : 100'000;
    WaitGroup wg;
    std::atomic<long> ran{0};
    // Several waiters, all woken when the counter reaches zero.
    wg.add(n);
    auto w1 = skein::spawn(waiter(&wg, &ran, n));
    auto w2 = skein::spawn(waiter(&wg, &ran, n));
    for (long i = 0; i < n; ++i) skein::spawn(work_then_done(&wg, &ran)).detach();
    co_await wg.wait();
    EXPECT_EQ(ran.load(), n);
    EXPECT_EQ(wg.count(), 0);
    co_await w1;
    co_await w2;
  }());
}

TEST(WaitGroup, ReusableAfterReachingZero) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    WaitGroup wg;
    std::atomic<long> ran{0};
    for (int round = 1; round <= 3; ++round) {
      wg.add(10);
      for (int i = 0; i < 10; ++i) skein::spawn(work_then_done(&wg, &ran)).detach();
      co_await wg.wait();
      EXPECT_EQ(ran.load(), 10 * round);
    }
  }());
}

TEST(WaitGroup, CancelWhileWaiting) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    WaitGroup wg;
    std::atomic<long> ran{0};
    wg.add(1);
    auto h = skein::spawn(waiter(&wg, &ran, 0));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return wg.waiting() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    wg.done();
    co_await wg.wait();
  }());
}

}  // namespace
