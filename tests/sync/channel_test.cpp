// Channel<T>: every operation, close semantics, rendezvous, move-only items,
// cancellation during waits, cooperative budget.
#include "skein/channel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <system_error>
#include <chrono>
#include <vector>

#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Channel;
using skein::RecvStatus;
using skein::SendStatus;
using skein::Task;
using skein_test::eventually;

skein::Options two_workers() { return skein::Options{.workers = 2}; }

TEST(Channel, BoundedKeepsFifoOrderAndReportsFull) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(4);
    for (int i = 0; i < 4; ++i) co_await ch.send(i);
    EXPECT_EQ(ch.size(), 4u);
    EXPECT_EQ(ch.try_send(99), SendStatus::full);
    for (int i = 0; i < 4; ++i) {
      auto v = co_await ch.recv();
      EXPECT_EQ(v, i);
    }
    std::optional<int> out;
    EXPECT_EQ(ch.try_recv(out), RecvStatus::empty);
    EXPECT_FALSE(out.has_value());
  }());
}

TEST(Channel, TryOperationsReportStatus) {
  Channel<int> ch(1);  // try_* work from any thread, no runtime needed
  EXPECT_EQ(ch.try_send(1), SendStatus::sent);
  EXPECT_EQ(ch.try_send(2), SendStatus::full);
  EXPECT_EQ(ch.try_recv(), std::optional<int>(1));
  EXPECT_EQ(ch.try_recv(), std::nullopt);
  EXPECT_TRUE(ch.close());
  EXPECT_FALSE(ch.close());  // idempotent
  EXPECT_EQ(ch.try_send(3), SendStatus::closed);
  std::optional<int> out;
  EXPECT_EQ(ch.try_recv(out), RecvStatus::closed);
}

TEST(Channel, RendezvousTrySendNeedsAWaitingReceiver) {
  Channel<int> ch(0);
  EXPECT_EQ(ch.try_send(1), SendStatus::full);
  EXPECT_EQ(ch.size(), 0u);
  EXPECT_EQ(ch.try_recv(), std::nullopt);
}

TEST(Channel, UnboundedSendNeverWaits) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(skein::unbounded);
    EXPECT_TRUE(ch.is_unbounded());
    for (int i = 0; i < 100'000; ++i) co_await ch.send(i);
    EXPECT_EQ(ch.size(), 100'000u);
    long sum = 0;
    for (int i = 0; i < 100'000; ++i) sum += *co_await ch.recv();
    EXPECT_EQ(sum, 100'000L * 99'999 / 2);
  }());
}

Task<void> send_then_flag(Channel<int>* ch, int v, std::atomic<bool>* sent) {
  co_await ch->send(v);
  sent->store(true);
}

TEST(Channel, RendezvousSendCompletesOnlyWhenReceived) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(0);
    std::atomic<bool> sent{false};
    auto h = skein::spawn(send_then_flag(&ch, 42, &sent));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_senders() == 1; }));
    for (int i = 0; i < 100; ++i) co_await skein::yield();
    EXPECT_FALSE(sent.load());  // nobody received yet
    auto v = co_await ch.recv();
    EXPECT_EQ(v, 42);
    co_await h;
    EXPECT_TRUE(sent.load());
  }());
}

Task<std::optional<int>> recv_one(Channel<int>* ch) { co_return co_await ch->recv(); }

TEST(Channel, RendezvousTryRecvTakesFromAWaitingSender) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(0);
    std::atomic<bool> sent{false};
    auto h = skein::spawn(send_then_flag(&ch, 8, &sent));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_senders() == 1; }));
    EXPECT_EQ(ch.try_recv(), std::optional<int>(8));
    co_await h;
    EXPECT_TRUE(sent.load());
  }());
}

TEST(Channel, RendezvousHandsToWaitingReceiver) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(0);
    auto h = skein::spawn(recv_one(&ch));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_receivers() == 1; }));
    EXPECT_EQ(ch.try_send(7), SendStatus::sent);  // straight into the receiver
    EXPECT_EQ(co_await h, 7);
  }());
}

TEST(Channel, CloseDeliversBufferedItemsThenNullopt) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(8);
    co_await ch.send(1);
    co_await ch.send(2);
    ch.close();
    EXPECT_TRUE(ch.is_closed());
    EXPECT_EQ(co_await ch.recv(), 1);
    EXPECT_EQ(co_await ch.recv(), 2);
    EXPECT_EQ(co_await ch.recv(), std::nullopt);
    EXPECT_EQ(co_await ch.recv(), std::nullopt);
  }());
}

TEST(Channel, SendAfterCloseThrowsAndHandsTheValueBack) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<std::unique_ptr<int>> ch(4);
    ch.close();
    bool caught = false;
    try {
      co_await ch.send(std::make_unique<int>(5));
    } catch (skein::send_failed<std::unique_ptr<int>>& e) {
      caught = true;
      EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos);
      EXPECT_TRUE(e.value && *e.value == 5);
    }
    EXPECT_TRUE(caught);
    auto p = std::make_unique<int>(6);
    EXPECT_EQ(ch.try_send(std::move(p)), SendStatus::closed);
    EXPECT_TRUE(p && *p == 6);  // untouched
  }());
}

TEST(Channel, CloseWakesEveryWaitingReceiver) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(2);
    std::vector<skein::JoinHandle<std::optional<int>>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(skein::spawn(recv_one(&ch)));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_receivers() == 5; }));
    ch.close();
    for (auto& h : hs) EXPECT_EQ(co_await h, std::nullopt);
    EXPECT_EQ(ch.waiting_receivers(), 0u);
  }());
}

Task<int> send_expect_failure(Channel<std::unique_ptr<int>>* ch, int v) {
  try {
    co_await ch->send(std::make_unique<int>(v));
  } catch (skein::send_failed<std::unique_ptr<int>>& e) {
    co_return e.value ? *e.value : -1;
  }
  co_return 0;  // sent
}

TEST(Channel, CloseFailsWaitingSendersAndKeepsBufferedItems) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<std::unique_ptr<int>> ch(1);
    co_await ch.send(std::make_unique<int>(1));
    std::vector<skein::JoinHandle<int>> hs;
    for (int i = 2; i <= 4; ++i) hs.push_back(skein::spawn(send_expect_failure(&ch, i)));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_senders() == 3; }));
    ch.close();
    int v = 2;
    for (auto& h : hs) EXPECT_EQ(co_await h, v++);  // each got its own value back
    auto first = co_await ch.recv();
    EXPECT_TRUE(first.has_value() && *first && **first == 1);
    EXPECT_FALSE((co_await ch.recv()).has_value());
  }());
}

TEST(Channel, MoveOnlyItemsThroughEveryKind) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{3}, Channel<int>::kUnbounded}) {
      Channel<std::unique_ptr<int>> ch(cap);
      auto producer = [](Channel<std::unique_ptr<int>>* c) -> Task<void> {
        for (int i = 0; i < 100; ++i) co_await c->send(std::make_unique<int>(i));
        c->close();
      };
      auto h = skein::spawn(producer(&ch));
      int expected = 0;
      while (auto p = co_await ch.recv()) EXPECT_EQ(**p, expected++);
      EXPECT_EQ(expected, 100) << "capacity " << cap;
      co_await h;
    }
  }());
}

TEST(Channel, CancelWhileReceivingWithdrawsTheReceiver) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(1);
    auto h = skein::spawn(recv_one(&ch));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_receivers() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(ch.waiting_receivers(), 0u);
    EXPECT_EQ(ch.try_send(9), SendStatus::sent);  // not swallowed by the cancelled receiver
    EXPECT_EQ(ch.try_recv(), std::optional<int>(9));
  }());
}

Task<void> send_one(Channel<int>* ch, int v) { co_await ch->send(v); }

TEST(Channel, CancelWhileSendingDropsTheSend) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(0);
    auto h = skein::spawn(send_one(&ch, 5));
    EXPECT_TRUE(co_await eventually([&] { return ch.waiting_senders() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(ch.waiting_senders(), 0u);
    EXPECT_EQ(ch.try_recv(), std::nullopt);  // the cancelled send never happened
  }());
}

Task<std::optional<int>> recv_after_go(Channel<int>* ch, std::atomic<bool>* started, std::atomic<bool>* go) {
  started->store(true);
  while (!go->load()) co_await skein::yield();
  co_return co_await ch->recv();
}

TEST(Channel, CancelRequestedBeforeTheWaitThrowsAtTheWait) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(1);
    std::atomic<bool> started{false}, go{false};
    auto h = skein::spawn(recv_after_go(&ch, &started, &go));
    EXPECT_TRUE(co_await eventually([&] { return started.load(); }));
    h.cancel();
    go.store(true);
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(ch.waiting_receivers(), 0u);
  }());
}

TEST(Channel, CancellingAFinishedTaskIsANoOp) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(1);
    co_await ch.send(3);
    auto h = skein::spawn(recv_one(&ch));
    EXPECT_TRUE(co_await eventually([&] { return h.is_finished(); }));
    h.cancel();
    EXPECT_EQ(co_await h, 3);
  }());
}

Task<void> set_flag(std::atomic<bool>* f) {
  f->store(true);
  co_return;
}

// A task whose channel operations are always ready must still yield to the
// others (cooperative budget); on one worker the other task only runs then.
TEST(Channel, ReadyOperationsInAHotLoopYield) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(skein::unbounded);
    std::atomic<bool> other_ran{false};
    auto h = skein::spawn(set_flag(&other_ran));
    int seen_at = -1;
    for (int i = 0; i < 20'000; ++i) {
      co_await ch.send(i);
      auto v = co_await ch.recv();
      EXPECT_EQ(v, i);
      if (seen_at < 0 && other_ran.load()) seen_at = i;
    }
    EXPECT_GE(seen_at, 0) << "the other task never ran during 40,000 ready operations";
    EXPECT_LT(seen_at, 1000);
    co_await h;
  }());
}

TEST(Channel, DestroyingAChannelWithWaitersFailsThemClearly) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    auto ch = std::make_unique<Channel<int>>(0);
    auto r = skein::spawn(recv_one(ch.get()));
    EXPECT_TRUE(co_await eventually([&] { return ch->waiting_receivers() == 1; }));
    ch.reset();  // a lifetime bug: the receiver must not resume into freed memory
    std::string what;
    try {
      (void)co_await r;
    } catch (const std::logic_error& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("destroyed"), std::string::npos) << what;
  }());
}

TEST(Channel, RecvForTimesOutThenStillReceives) {
  using namespace std::chrono_literals;
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    Channel<int> ch(1);
    auto t0 = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
      (void)co_await ch.recv_for(20ms);
    } catch (const std::system_error& e) {
      timed_out = e.code() == std::errc::timed_out;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
    EXPECT_EQ(ch.waiting_receivers(), 0u);  // the timed-out receiver is gone
    co_await ch.send(4);
    EXPECT_EQ(co_await ch.recv_for(1s), std::optional<int>(4));  // ready: no wait
    std::atomic<bool> sent{false};
    auto h = skein::spawn(send_then_flag(&ch, 5, &sent));
    EXPECT_EQ(co_await ch.recv_for(5s), std::optional<int>(5));  // arrives while waiting
    co_await h;
    ch.close();
    EXPECT_EQ(co_await ch.recv_for(1s), std::nullopt);
  }());
}

// recv_for is a deadline scope in the receiving task: a wait that times out
// and one that receives spawn nothing, and a cancel of the receiver stops it
// at once (not at the deadline).
TEST(Channel, RecvForSpawnsNothingAndACancelStopsItAtOnce) {
  using namespace std::chrono_literals;
  skein::Runtime rt(two_workers());
  auto waiting = rt.spawn([](skein::Runtime& rt) -> Task<std::uint64_t> {
    Channel<int> ch(1);
    const auto before = rt.stats().total().spawned;
    for (int i = 0; i < 3; ++i) {
      try {
        (void)co_await ch.recv_for(2ms);
      } catch (const std::system_error&) {
      }
    }
    co_return rt.stats().total().spawned - before;
  }(rt));
  EXPECT_EQ(waiting.wait(), 0u);
  Channel<int> quiet(1);
  auto h = rt.spawn([](Channel<int>& ch) -> Task<void> { (void)co_await ch.recv_for(30s); }(quiet));
  std::this_thread::sleep_for(10ms);
  const auto t0 = std::chrono::steady_clock::now();
  h.cancel();
  EXPECT_THROW(h.wait(), skein::operation_canceled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(quiet.waiting_receivers(), 0u);
}

// Runtime shutdown destroys the frames of tasks still waiting; their waiters
// must leave the channel (which outlives the runtime here) clean.
TEST(Channel, ShutdownWithWaitingTasksLeavesTheChannelClean) {
  auto ch = std::make_unique<Channel<int>>(0);
  {
    skein::Runtime rt(two_workers());
    for (int i = 0; i < 4; ++i) rt.spawn(recv_one(ch.get())).detach();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (ch->waiting_receivers() < 4 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(ch->waiting_receivers(), 4u);
  }
  EXPECT_EQ(ch->waiting_receivers(), 0u);
  EXPECT_EQ(ch->try_send(1), SendStatus::full);  // nobody left to receive
}

// Bounded channels up to 65536 keep items in the lock-free ring; when it is
// full, senders queue, and each receive refills the ring from the
// longest-waiting sender, so the order is buffer first, then senders in turn.
TEST(Channel, WaitingSendersRefillAFullRingInOrder) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    auto ch = std::make_shared<Channel<int>>(3);  // an odd capacity
    for (int i = 0; i < 3; ++i) co_await ch->send(i);
    std::vector<skein::JoinHandle<void>> senders;
    for (int i = 3; i < 6; ++i) {
      senders.push_back(skein::spawn([](std::shared_ptr<Channel<int>> c, int v) -> Task<void> {
        co_await c->send(v);
      }(ch, i)));
      const std::size_t want = static_cast<std::size_t>(i - 2);
      EXPECT_TRUE(co_await eventually([&] { return ch->waiting_senders() == want; }));
    }
    EXPECT_EQ(ch->try_send(99), SendStatus::full);  // no barging past the queue
    for (int i = 0; i < 6; ++i) EXPECT_EQ(co_await ch->recv(), i);
    for (auto& s : senders) co_await s;
    EXPECT_EQ(ch->waiting_senders(), 0u);
    EXPECT_EQ(ch->try_send(6), SendStatus::sent);  // back on the lock-free path
    EXPECT_EQ(ch->try_recv(), std::optional<int>(6));
  }());
}

// A receiver that waits on an empty ring gets the next item handed to it;
// afterwards sends go through the ring again.
TEST(Channel, WaitingReceiverGetsTheNextItemThenTheRingIsUsedAgain) {
  skein::Runtime rt(two_workers());
  rt.block_on([]() -> Task<void> {
    auto ch = std::make_shared<Channel<int>>(8);
    auto receiver = skein::spawn([](std::shared_ptr<Channel<int>> c) -> Task<std::optional<int>> {
      co_return co_await c->recv();
    }(ch));
    EXPECT_TRUE(co_await eventually([&] { return ch->waiting_receivers() == 1; }));
    co_await ch->send(41);
    EXPECT_EQ(co_await receiver, std::optional<int>(41));
    co_await ch->send(42);
    co_await ch->send(43);
    EXPECT_EQ(ch->size(), 2u);
    EXPECT_EQ(co_await ch->recv(), std::optional<int>(42));
    EXPECT_EQ(co_await ch->recv(), std::optional<int>(43));
  }());
}

// A move that may throw cannot go through the lock-free ring (a claimed slot
// must be filled), and bounds above 65536 grow their buffer on demand: both
// keep the locked buffer, with the same behaviour.
struct ThrowingMove {
  int v = 0;
  explicit ThrowingMove(int x) : v(x) {}
  ThrowingMove(ThrowingMove&& o) noexcept(false) : v(o.v) {}
  ThrowingMove& operator=(ThrowingMove&& o) noexcept(false) {
    v = o.v;
    return *this;
  }
};

TEST(Channel, ThrowingMoveTypesAndLargeBoundsUseTheLockedBuffer) {
  Channel<ThrowingMove> odd(2);
  EXPECT_EQ(odd.try_send(ThrowingMove(1)), SendStatus::sent);
  EXPECT_EQ(odd.try_send(ThrowingMove(2)), SendStatus::sent);
  EXPECT_EQ(odd.try_send(ThrowingMove(3)), SendStatus::full);
  EXPECT_EQ(odd.size(), 2u);
  EXPECT_EQ(odd.try_recv()->v, 1);
  EXPECT_EQ(odd.try_recv()->v, 2);

  constexpr std::size_t kBig = 70'000;
  Channel<int> big(kBig);
  for (std::size_t i = 0; i < kBig; ++i) ASSERT_EQ(big.try_send(static_cast<int>(i)), SendStatus::sent);
  EXPECT_EQ(big.try_send(-1), SendStatus::full);
  EXPECT_EQ(big.size(), kBig);
  for (std::size_t i = 0; i < kBig; ++i) ASSERT_EQ(big.try_recv(), std::optional<int>(static_cast<int>(i)));
}

TEST(Channel, AwaitingOutsideATaskIsALogicError) {
  Channel<int> ch(0);
  auto aw = ch.recv();
  EXPECT_FALSE(aw.await_ready());
  EXPECT_THROW(aw.await_suspend(std::noop_coroutine()), std::logic_error);
}

}  // namespace
