// JoinSet<T>, when_all, when_any.
#include "skein/join_set.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "skein/event.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/when_all.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Task;

Task<int> value_after(int v, int yields) {
  for (int i = 0; i < yields; ++i) co_await skein::yield();
  co_return v;
}

Task<int> fail_after(int yields) {
  for (int i = 0; i < yields; ++i) co_await skein::yield();
  throw std::runtime_error("task failed");
}

Task<void> wait_forever(skein::Event* e, std::atomic<int>* cancelled) {
  try {
    co_await e->wait();
  } catch (const skein::operation_canceled&) {
    cancelled->fetch_add(1);
    throw;
  }
}

TEST(JoinSet, ResultsArriveInCompletionOrderAndThenNullopt) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::JoinSet<int> set;
    for (int i = 0; i < 100; ++i) set.spawn(value_after(i, i % 7));
    EXPECT_EQ(set.size(), 100u);
    std::multiset<int> got;
    while (auto r = co_await set.next()) got.insert(*r);
    EXPECT_EQ(got.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got.count(i), 1u);
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(co_await set.next(), std::nullopt);
  }());
}

TEST(JoinSet, ExceptionsAreRethrownByNextAndTheRestContinue) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::JoinSet<int> set;
    set.spawn(fail_after(0));
    set.spawn(value_after(1, 50));
    int values = 0, errors = 0;
    for (;;) {
      try {
        auto r = co_await set.next();
        if (!r) break;
        ++values;
      } catch (const std::runtime_error&) {
        ++errors;
      }
    }
    EXPECT_EQ(values, 1);
    EXPECT_EQ(errors, 1);
  }());
}

TEST(JoinSet, AbortAllCancelsRunningTasks) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Event never;
    std::atomic<int> cancelled{0};
    skein::JoinSet<void> set;
    for (int i = 0; i < 10; ++i) set.spawn(wait_forever(&never, &cancelled));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return never.waiting() == 10; }));
    set.abort_all();
    int canceled_results = 0;
    for (;;) {
      try {
        if (!co_await set.next()) break;
      } catch (const skein::operation_canceled&) {
        ++canceled_results;
      }
    }
    EXPECT_EQ(canceled_results, 10);
    EXPECT_EQ(cancelled.load(), 10);
  }());
}

Task<void> next_of(skein::JoinSet<int>* set) { (void)co_await set->next(); }

TEST(JoinSet, CancelWhileWaitingInNext) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Event never;
    skein::JoinSet<int> set;
    set.spawn([](skein::Event* e) -> Task<int> {
      co_await e->wait();
      co_return 1;
    }(&never));
    auto h = skein::spawn(next_of(&set));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return never.waiting() == 1; }));
    for (int i = 0; i < 20; ++i) co_await skein::yield();  // next_of() reaches its wait (not observable)
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    never.set();
    EXPECT_EQ(co_await set.next(), std::optional<int>(1));  // the result was not consumed
  }());
}

TEST(WhenAll, TupleOfMixedResultsInArgumentOrder) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    auto [a, b, c] = co_await skein::when_all(value_after(1, 30), []() -> Task<void> { co_return; }(),
                                              []() -> Task<std::string> { co_return "x"; }());
    EXPECT_EQ(a, 1);
    (void)b;  // std::monostate
    EXPECT_EQ(c, "x");
  }());
}

TEST(WhenAll, VectorKeepsOrderAndRethrowsFirstFailure) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 50; ++i) tasks.push_back(value_after(i, 50 - i));
    auto values = co_await skein::when_all(std::move(tasks));
    EXPECT_EQ(values.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(values[i], i);

    std::vector<Task<int>> failing;
    failing.push_back(value_after(1, 5));
    failing.push_back(fail_after(3));
    EXPECT_THROW(co_await skein::when_all(std::move(failing)), std::runtime_error);

    std::atomic<int> ran{0};
    std::vector<Task<void>> voids;
    for (int i = 0; i < 20; ++i)
      voids.push_back([](std::atomic<int>* r) -> Task<void> {
        r->fetch_add(1);
        co_return;
      }(&ran));
    co_await skein::when_all(std::move(voids));
    EXPECT_EQ(ran.load(), 20);
  }());
}

Task<int> value_or_cancelled(skein::Event* never, std::atomic<int>* cancelled) {
  try {
    co_await never->wait();
  } catch (const skein::operation_canceled&) {
    cancelled->fetch_add(1);
    throw;
  }
  co_return -1;
}

TEST(WhenAny, FirstResultWinsAndTheOthersAreCancelled) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Event never;
    std::atomic<int> cancelled{0};
    auto r = co_await skein::when_any(value_or_cancelled(&never, &cancelled), value_after(42, 10),
                                      value_or_cancelled(&never, &cancelled));
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(r.value, 42);
    EXPECT_EQ(cancelled.load(), 2);  // both losers saw the cancellation before when_any returned
  }());
}

Task<int> when_any_of_waiters(skein::Event* never, std::atomic<int>* cancelled) {
  auto r = co_await skein::when_any(value_or_cancelled(never, cancelled), value_or_cancelled(never, cancelled));
  co_return r.value;
}

TEST(WhenAny, CancellingTheCallerCancelsEveryChild) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    skein::Event never;
    std::atomic<int> cancelled{0};
    auto h = skein::spawn(when_any_of_waiters(&never, &cancelled));
    EXPECT_TRUE(co_await skein_test::eventually([&] { return never.waiting() == 2; }));  // both children wait
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
    EXPECT_TRUE(co_await skein_test::eventually([&] { return cancelled.load() == 2; }));
  }());
}

TEST(WhenAny, EmptyIsAnError) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    EXPECT_THROW(co_await skein::when_any(std::vector<Task<int>>{}), std::invalid_argument);
  }());
}

}  // namespace
