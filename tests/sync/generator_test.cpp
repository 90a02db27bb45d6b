// Generator<T> and AsyncGenerator<T>.
#include "skein/generator.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "skein/channel.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::AsyncGenerator;
using skein::Generator;
using skein::Task;

Generator<int> count_to(int n) {
  for (int i = 1; i <= n; ++i) co_yield i;
}

Generator<std::string> words() {
  std::string w = "lvalue";
  co_yield w;
  co_yield std::string("prvalue");
}

Generator<int> throws_after(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
  throw std::runtime_error("generator failed");
}

TEST(Generator, RangeForYieldsInOrder) {
  std::vector<int> got;
  for (int v : count_to(5)) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5}));
  std::vector<std::string> ws;
  for (const auto& w : words()) ws.push_back(w);
  EXPECT_EQ(ws, (std::vector<std::string>{"lvalue", "prvalue"}));
}

TEST(Generator, EmptyAndEarlyExit) {
  int n = 0;
  for (int v : count_to(0)) n += v;
  EXPECT_EQ(n, 0);
  for (int v : count_to(1'000'000)) {
    if (v == 3) break;  // destroying the suspended generator is fine
    n += v;
  }
  EXPECT_EQ(n, 3);
}

TEST(Generator, ExceptionPropagatesToTheConsumer) {
  std::vector<int> got;
  EXPECT_THROW(
      {
        for (int v : throws_after(2)) got.push_back(v);
      },
      std::runtime_error);
  EXPECT_EQ(got, (std::vector<int>{0, 1}));
}

AsyncGenerator<std::unique_ptr<int>> from_channel(skein::Channel<int>* ch) {
  while (auto v = co_await ch->recv()) co_yield std::make_unique<int>(*v * 10);
}

Task<void> feed(skein::Channel<int>* ch, int n) {
  for (int i = 0; i < n; ++i) co_await ch->send(i);
  ch->close();
}

TEST(AsyncGenerator, AwaitsInsideAndYieldsMoveOnlyValues) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Channel<int> ch(0);  // rendezvous: the generator really suspends
    auto h = skein::spawn(feed(&ch, 100));
    auto gen = from_channel(&ch);
    int expected = 0;
    while (auto p = co_await gen.next()) {
      EXPECT_EQ(**p, expected * 10);
      ++expected;
    }
    EXPECT_EQ(expected, 100);
    EXPECT_EQ(co_await gen.next(), std::nullopt);  // stays finished
    co_await h;
  }());
}

AsyncGenerator<int> async_throws() {
  co_yield 1;
  co_await skein::yield();
  throw std::runtime_error("async generator failed");
}

TEST(AsyncGenerator, ExceptionRethrownByNext) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    auto gen = async_throws();
    EXPECT_EQ(co_await gen.next(), std::optional<int>(1));
    bool thrown = false;
    try {
      (void)co_await gen.next();
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    EXPECT_TRUE(thrown);
  }());
}

AsyncGenerator<int> endless(skein::Channel<int>* never) {
  co_yield 0;
  co_await never->recv();  // waits forever unless cancelled
  co_yield 1;
}

Task<int> drain_endless(skein::Channel<int>* never) {
  auto gen = endless(never);
  int n = 0;
  while (auto v = co_await gen.next()) ++n;
  co_return n;
}

TEST(AsyncGenerator, CancellingTheConsumerCancelsTheBodysWait) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Channel<int> never(0);
    auto h = skein::spawn(drain_endless(&never));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return never.waiting_receivers() == 1; }));
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_EQ(never.waiting_receivers(), 0u);
  }());
}

}  // namespace
