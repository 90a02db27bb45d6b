// select(): exactly one branch completes, the others are not consumed;
// waiting, fairness, closed channels, send branches, cancellation, stress.
#include "skein/select.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Channel;
using skein::Task;
using skein_test::eventually;

TEST(Select, ReadyBranchCompletesAndOthersAreUntouched) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(4);
    Channel<std::string> b(4);
    co_await b.send("hello");
    auto r = co_await skein::select(a.recv(), b.recv());
    EXPECT_EQ(r.index(), 1u);
    EXPECT_EQ(std::get<1>(r), std::optional<std::string>("hello"));
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(b.size(), 0u);
  }());
}

TEST(Select, BothReadyTakesExactlyOne) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    int first = 0, second = 0;
    for (int i = 0; i < 1000; ++i) {
      Channel<int> a(1), b(1);
      co_await a.send(1);
      co_await b.send(2);
      auto r = co_await skein::select(a.recv(), b.recv());
      (r.index() == 0 ? first : second)++;
      EXPECT_EQ(a.size() + b.size(), 1u);  // the other item is still there
    }
    // Fairness: a random start means both branches win sometimes.
    EXPECT_GT(first, 100);
    EXPECT_GT(second, 100);
  }());
}

Task<void> send_later(Channel<int>* ch, int v) {
  for (int i = 0; i < 10; ++i) co_await skein::yield();
  co_await ch->send(v);
}

TEST(Select, WaitsAndWithdrawsTheOtherBranches) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(0), b(0);
    auto h = skein::spawn(send_later(&b, 5));
    auto r = co_await skein::select(a.recv(), b.recv());
    EXPECT_EQ(r.index(), 1u);
    EXPECT_EQ(std::get<1>(r), std::optional<int>(5));
    co_await h;
    EXPECT_EQ(a.waiting_receivers(), 0u);  // the branch on `a` is gone
    EXPECT_EQ(b.waiting_receivers(), 0u);
    EXPECT_EQ(a.try_send(1), skein::SendStatus::full);  // nobody receives on `a` now
  }());
}

TEST(Select, SameChannelTwiceCompletesOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(0);
    auto h = skein::spawn(send_later(&a, 3));
    auto r = co_await skein::select(a.recv(), a.recv());
    auto v = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
    EXPECT_EQ(v, std::optional<int>(3));
    co_await h;
    EXPECT_EQ(a.waiting_receivers(), 0u);
  }());
}

TEST(Select, SendBranch) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> in(0), out(1);
    auto r = co_await skein::select(in.recv(), out.send(7));
    EXPECT_EQ(r.index(), 1u);
    EXPECT_EQ(out.try_recv(), std::optional<int>(7));
  }());
}

TEST(Select, ClosedChannelBranchYieldsNullopt) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(0), b(0);
    b.close();
    auto r = co_await skein::select(a.recv(), b.recv());
    EXPECT_EQ(r.index(), 1u);
    EXPECT_EQ(std::get<1>(r), std::nullopt);
  }());
}

TEST(Select, SendBranchOnClosedChannelThrowsWithTheValue) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> in(0), out(0);
    out.close();
    int back = 0;
    try {
      (void)co_await skein::select(in.recv(), out.send(11));
    } catch (skein::send_failed<int>& e) {
      back = e.value;
    }
    EXPECT_EQ(back, 11);
  }());
}

Task<int> select_two(Channel<int>* a, Channel<int>* b) {
  auto r = co_await skein::select(a->recv(), b->recv());
  co_return r.index() == 0 ? *std::get<0>(r) : *std::get<1>(r);
}

TEST(Select, CloseWakesAWaitingSelect) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(0), b(0);
    auto h = skein::spawn([](Channel<int>* x, Channel<int>* y) -> Task<std::size_t> {
      auto r = co_await skein::select(x->recv(), y->recv());
      co_return r.index();
    }(&a, &b));
    EXPECT_TRUE(co_await eventually([&] { return a.waiting_receivers() == 1 && b.waiting_receivers() == 1; }));
    a.close();
    EXPECT_EQ(co_await h, 0u);
  }());
}

TEST(Select, CancelWhileWaiting) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    Channel<int> a(0), b(0);
    auto h = skein::spawn(select_two(&a, &b));
    EXPECT_TRUE(co_await eventually([&] { return a.waiting_receivers() == 1 && b.waiting_receivers() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(a.waiting_receivers(), 0u);
    EXPECT_EQ(b.waiting_receivers(), 0u);
    EXPECT_EQ(a.try_send(1), skein::SendStatus::full);  // nothing was consumed by the cancelled select
  }());
}

Task<long> select_consumer(Channel<int>* a, Channel<int>* b, std::atomic<long>* count) {
  long sum = 0;
  bool a_open = true, b_open = true;
  while (a_open || b_open) {
    if (a_open && b_open) {
      auto r = co_await skein::select(a->recv(), b->recv());
      auto& v = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      if (v) {
        sum += *v;
        count->fetch_add(1);
      } else {
        (r.index() == 0 ? a_open : b_open) = false;
      }
    } else {
      auto v = co_await (a_open ? a : b)->recv();
      if (v) {
        sum += *v;
        count->fetch_add(1);
      } else {
        (a_open ? a_open : b_open) = false;
      }
    }
  }
  co_return sum;
}

Task<long> produce_range(Channel<int>* ch, int from, int to) {
  long sum = 0;
  for (int i = from; i < to; ++i) {
    co_await ch->send(i);
    sum += i;
  }
  co_return sum;
}

// Two consumers select over two rendezvous channels fed by two producers
// each: every item is taken exactly once (count and sum), none lost to a
// stale branch.
TEST(Select, StressExactlyOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    for (std::size_t cap : {std::size_t{0}, std::size_t{8}}) {
      Channel<int> a(cap), b(cap);
      std::atomic<long> count{0};
      const int n = static_cast<int>(skein_test::scaled(200'000));
      auto c1 = skein::spawn(select_consumer(&a, &b, &count));
      auto c2 = skein::spawn(select_consumer(&a, &b, &count));
      auto p1 = skein::spawn(produce_range(&a, 0, n / 2));
      auto p2 = skein::spawn(produce_range(&b, n / 2, n));
      long sent = co_await p1;
      long sent_b = co_await p2;
      a.close();
      b.close();
      long got = co_await c1;
      got += co_await c2;
      EXPECT_EQ(count.load(), n) << "capacity " << cap;
      EXPECT_EQ(got, sent + sent_b) << "capacity " << cap;
    }
  }());
}

Task<long> select_producer(Channel<int>* a, Channel<int>* b, int from, int to) {
  long sum = 0;
  for (int i = from; i < to; ++i) {
    co_await skein::select(a->send(i), b->send(i));
    sum += i;
  }
  co_return sum;
}

Task<long> drain(Channel<int>* ch, std::atomic<long>* count) {
  long sum = 0;
  while (auto v = co_await ch->recv()) {
    sum += *v;
    count->fetch_add(1, std::memory_order_relaxed);
  }
  co_return sum;
}

// Two producers select between sending to two channels: every item goes to
// exactly one of them (count and sum), on rendezvous and on small rings
// (where a full ring queues the send branches).
TEST(Select, StressSendBranchesExactlyOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    for (std::size_t cap : {std::size_t{0}, std::size_t{2}}) {
      Channel<int> a(cap), b(cap);
      std::atomic<long> count{0};
      const int n = static_cast<int>(skein_test::scaled(200'000));
      auto ca = skein::spawn(drain(&a, &count));
      auto cb = skein::spawn(drain(&b, &count));
      auto p1 = skein::spawn(select_producer(&a, &b, 0, n / 2));
      auto p2 = skein::spawn(select_producer(&a, &b, n / 2, n));
      const long sent = co_await p1 + co_await p2;
      a.close();
      b.close();
      const long got = co_await ca + co_await cb;
      EXPECT_EQ(count.load(), n) << "capacity " << cap;
      EXPECT_EQ(got, sent) << "capacity " << cap;
    }
  }());
}

}  // namespace
