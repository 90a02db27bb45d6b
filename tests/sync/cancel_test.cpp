// CancellationSource / CancellationToken.
#include "skein/cancel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "skein/channel.hpp"
#include "skein/mutex.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Task;

Task<int> receive_forever(skein::Channel<int>* ch) {
  int n = 0;
  while (co_await ch->recv()) ++n;
  co_return n;
}

TEST(CancellationToken, CancelsEveryBoundTask) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::CancellationSource src;
    skein::Channel<int> ch(0);
    std::vector<skein::JoinHandle<int>> hs;
    for (int i = 0; i < 8; ++i) hs.push_back(skein::spawn(skein::with_cancellation(src.token(), receive_forever(&ch))));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return ch.waiting_receivers() == 8; }));
    EXPECT_FALSE(src.is_cancelled());
    src.cancel();
    EXPECT_TRUE(src.token().is_cancelled());
    for (auto& h : hs) EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(ch.waiting_receivers(), 0u);
    src.cancel();  // idempotent
  }());
}

TEST(CancellationToken, BindingAfterCancelCancelsAtOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::CancellationSource src;
    src.cancel();
    skein::Channel<int> ch(0);
    auto h = skein::spawn(skein::with_cancellation(src.token(), receive_forever(&ch)));
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_THROW(src.token().throw_if_cancelled(), skein::operation_canceled);
  }());
}

TEST(CancellationToken, FinishedTasksUnregister) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::CancellationSource src;
    skein::Channel<int> ch(1);
    ch.close();
    for (int i = 0; i < 100; ++i) {
      auto h = skein::spawn(skein::with_cancellation(src.token(), receive_forever(&ch)));
      EXPECT_EQ(co_await h, 0);
    }
    src.cancel();  // must not touch the finished tasks (ASan would see it)
  }());
}

TEST(CancellationToken, DefaultTokenNeverCancels) {
  skein::CancellationToken t;
  EXPECT_FALSE(t.is_cancelled());
  EXPECT_NO_THROW(t.throw_if_cancelled());
  EXPECT_THROW((void)t.bind_current_task(), std::logic_error);  // not inside a task
}

Task<void> hold_lock_then(skein::Mutex* m, skein::Channel<int>* ch) {
  auto g = co_await m->lock();
  (void)co_await ch->recv();
}

TEST(CancellationToken, CancelledTaskReleasesItsLockWhileUnwinding) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::CancellationSource src;
    skein::Mutex m;
    skein::Channel<int> ch(0);
    auto h = skein::spawn(skein::with_cancellation(src.token(), hold_lock_then(&m, &ch)));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return ch.waiting_receivers() == 1; }));
    EXPECT_FALSE(m.try_lock());
    src.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_TRUE(m.try_lock());  // the guard's destructor ran
    m.unlock();
  }());
}

}  // namespace
