// Task<T>: laziness, results, exceptions, deep await chains, misuse.
#include "skein/task.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "skein/runtime.hpp"

namespace {

skein::Task<int> answer() { co_return 42; }
skein::Task<int> twice() { co_return 2 * co_await answer(); }
skein::Task<void> throws() {
  throw std::runtime_error("boom");
  co_return;
}
skein::Task<std::string> move_only_result() { co_return std::string(1000, 'x'); }

skein::Task<long> chain(long depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

TEST(Task, IsLazy) {
  bool started = false;
  auto t = [&]() -> skein::Task<void> {
    started = true;
    co_return;
  }();
  EXPECT_FALSE(started);
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on(std::move(t));
  EXPECT_TRUE(started);
}

TEST(Task, DeliversResultsAndExceptions) {
  skein::Runtime rt(skein::Options{.workers = 2});
  EXPECT_EQ(rt.block_on(twice()), 84);
  EXPECT_EQ(rt.block_on(move_only_result()).size(), 1000u);
  EXPECT_THROW(rt.block_on(throws()), std::runtime_error);
  int caught = rt.block_on([]() -> skein::Task<int> {
    try {
      co_await throws();
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what()) == "boom" ? 1 : 2;
    }
    co_return 0;
  }());
  EXPECT_EQ(caught, 1);
}

// Symmetric transfer: a million nested awaits use constant stack.
TEST(Task, MillionDeepAwaitChainDoesNotOverflow) {
  skein::Runtime rt(skein::Options{.workers = 1});
  EXPECT_EQ(rt.block_on(chain(1'000'000)), 1'000'000);
}

TEST(Task, AwaitingAnEmptyTaskThrows) {
  skein::Runtime rt(skein::Options{.workers = 1});
  auto messages = rt.block_on([]() -> skein::Task<std::vector<std::string>> {
    std::vector<std::string> out;
    auto t = answer();
    if (co_await t != 42) co_return out;
    try {
      co_await t;  // already awaited
    } catch (const std::logic_error& e) {
      out.push_back(e.what());
    }
    auto moved = answer();
    auto other = std::move(moved);
    try {
      co_await moved;  // moved-from
    } catch (const std::logic_error& e) {
      out.push_back(e.what());
    }
    co_return out;
  }());
  ASSERT_EQ(messages.size(), 2u);
  for (const auto& m : messages) EXPECT_NE(m.find("empty task"), std::string::npos) << m;
}

TEST(Task, UnawaitedTaskIsDestroyedWithoutRunning) {
  int destroyed = 0;
  struct Probe {
    int* n;
    ~Probe() { ++*n; }
  };
  {
    auto t = [](Probe p) -> skein::Task<void> { co_return; }(Probe{&destroyed});
    EXPECT_GE(destroyed, 0);
  }
  EXPECT_GE(destroyed, 1);  // the frame's copy of the parameter died with it
}

}  // namespace
