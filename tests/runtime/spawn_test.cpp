// spawn / JoinHandle: results, exceptions, detach, ids, misuse; stress counts.
#include "skein/spawn.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "skein/runtime.hpp"

namespace {

skein::Task<long> fib(int n) {
  if (n < 2) co_return n;
  auto left = skein::spawn(fib(n - 1));
  long right = co_await fib(n - 2);
  co_return co_await left + right;
}

// Skynet: 10-way spawn tree over [offset, offset + size); returns the sum of leaf numbers.
skein::Task<long long> skynet(long long offset, long long size) {
  if (size == 1) co_return offset;
  std::vector<skein::JoinHandle<long long>> children;
  children.reserve(10);
  const long long step = size / 10;
  for (int i = 0; i < 10; ++i) children.push_back(skein::spawn(skynet(offset + i * step, step)));
  long long sum = 0;
  for (auto& c : children) sum += co_await c;
  co_return sum;
}

TEST(Spawn, FibResultIsExact) {
  skein::Runtime rt(skein::Options{.workers = 2});
  EXPECT_EQ(rt.block_on(fib(25)), 75025);
}

TEST(Spawn, SkynetSumIsExact) {
  skein::Runtime rt(skein::Options{.workers = 2});
  const long long n = 100'000;
  EXPECT_EQ(rt.block_on(skynet(0, n)), n * (n - 1) / 2);
}

TEST(Spawn, MillionSpawnsEachRunExactlyOnce) {
  constexpr int kTasks = 1'000'000;
  std::vector<std::atomic<unsigned char>> ran(kTasks);
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([&]() -> skein::Task<void> {
    std::vector<skein::JoinHandle<void>> handles;
    handles.reserve(1000);
    for (int batch = 0; batch < kTasks / 1000; ++batch) {
      for (int i = 0; i < 1000; ++i) {
        handles.push_back(skein::spawn([](std::atomic<unsigned char>& slot) -> skein::Task<void> {
          slot.fetch_add(1, std::memory_order_relaxed);
          co_return;
        }(ran[batch * 1000 + i])));
      }
      for (auto& h : handles) co_await h;
      handles.clear();
    }
  }());
  int wrong = 0;
  for (auto& r : ran) wrong += r.load() != 1;
  EXPECT_EQ(wrong, 0);
}

TEST(Spawn, ExceptionPropagatesThroughJoin) {
  skein::Runtime rt(skein::Options{.workers = 2});
  auto msg = rt.block_on([]() -> skein::Task<std::string> {
    auto h = skein::spawn([]() -> skein::Task<int> {
      throw std::runtime_error("child failed");
      co_return 1;
    }());
    try {
      co_await h;
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }());
  EXPECT_EQ(msg, "child failed");
}

TEST(Spawn, DetachedAndDroppedHandlesStillRun) {
  std::atomic<int> count{0};
  {
    skein::Runtime rt(skein::Options{.workers = 2});
    rt.block_on([&]() -> skein::Task<void> {
      for (int i = 0; i < 1000; ++i) {
        auto h = skein::spawn([](std::atomic<int>& c) -> skein::Task<void> {
          c.fetch_add(1);
          co_return;
        }(count));
        if (i % 2) h.detach();  // the others are dropped at the end of the iteration
      }
      // Wait until all ran (they are tiny); bounded.
      for (int spins = 0; count.load() < 1000 && spins < 100000; ++spins) co_await skein::yield();
    }());
  }
  EXPECT_EQ(count.load(), 1000);
}

TEST(Spawn, TaskIdsAreUniqueAndVisibleInside) {
  skein::Runtime rt(skein::Options{.workers = 2});
  bool ok = rt.block_on([]() -> skein::Task<bool> {
    std::set<std::uint64_t> ids;
    bool all_match = true;
    for (int i = 0; i < 100; ++i) {
      auto h = skein::spawn([]() -> skein::Task<std::uint64_t> { co_return skein::this_task::id(); }());
      const auto id = h.task_id();
      all_match &= (co_await h == id) && id != 0;
      ids.insert(id);
    }
    co_return all_match && ids.size() == 100 && skein::this_task::id() != 0;
  }());
  EXPECT_TRUE(ok);
  EXPECT_EQ(skein::this_task::id(), 0u);
}

TEST(Spawn, MisuseThrowsClearErrors) {
  // No runtime on this thread.
  EXPECT_THROW(skein::spawn(fib(3)), std::logic_error);
  skein::Runtime rt(skein::Options{.workers = 1});
  // Awaiting a handle twice, and a moved-from handle.
  auto errors = rt.block_on([]() -> skein::Task<int> {
    int n = 0;
    auto h = skein::spawn(fib(5));
    if (co_await h != 5) co_return -1;
    try {
      co_await h;
    } catch (const std::logic_error&) {
      ++n;
    }
    auto h2 = skein::spawn(fib(5));
    auto h3 = std::move(h2);
    try {
      co_await h2;
    } catch (const std::logic_error&) {
      ++n;
    }
    co_await h3;
    // block_on from a worker.
    try {
      skein::Runtime* none = nullptr;
      (void)none;
      skein::JoinHandle<long> h4 = skein::spawn(fib(2));
      h4.wait();
    } catch (const std::logic_error&) {
      ++n;
    }
    co_return n;
  }());
  EXPECT_EQ(errors, 3);
  // spawn_on a worker that does not exist.
  EXPECT_THROW(rt.spawn_on(7, fib(3)), std::out_of_range);
}

TEST(Spawn, BlockOnFromAWorkerThrows) {
  skein::Runtime rt(skein::Options{.workers = 1});
  bool threw = rt.block_on([](skein::Runtime& r) -> skein::Task<bool> {
    try {
      r.block_on(fib(3));
    } catch (const std::logic_error& e) {
      co_return std::string(e.what()).find("worker") != std::string::npos;
    }
    co_return false;
  }(rt));
  EXPECT_TRUE(threw);
}

TEST(Spawn, SpawnFromOutsideThreads) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::vector<std::thread> threads;
  std::atomic<long> total{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<skein::JoinHandle<long>> hs;
      for (int i = 0; i < 2000; ++i) hs.push_back(rt.spawn(fib(5)));
      for (auto& h : hs) total += h.wait();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), 4L * 2000 * 5);
}

}  // namespace
