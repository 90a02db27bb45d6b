// LocalQueue (Chase-Lev): owner push/pop against thieves, with a small
// capacity so the full-queue path runs constantly.
#include "runtime/local_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using skein::detail::LocalQueue;
using skein::detail::TaskHeader;

TEST(LocalQueue, OwnerIsLifoThiefIsFifo) {
  std::vector<TaskHeader> items(4);
  LocalQueue q(8);
  for (auto& i : items) ASSERT_TRUE(q.push(&i));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.pop(), &items[3]);
  TaskHeader* stolen = nullptr;
  ASSERT_EQ(q.steal(stolen), LocalQueue::StealResult::kTaken);
  EXPECT_EQ(stolen, &items[0]);
  EXPECT_EQ(q.pop(), &items[2]);
  EXPECT_EQ(q.pop(), &items[1]);
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_EQ(q.steal(stolen), LocalQueue::StealResult::kEmpty);
}

TEST(LocalQueue, FullQueueRefusesAndSpillsHalf) {
  std::vector<TaskHeader> items(8);
  LocalQueue q(8);
  for (auto& i : items) ASSERT_TRUE(q.push(&i));
  TaskHeader extra;
  EXPECT_FALSE(q.push(&extra));
  std::vector<TaskHeader*> spilled;
  EXPECT_EQ(q.spill_half(spilled), 4u);
  ASSERT_EQ(spilled.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spilled[i], &items[i]);  // the oldest half
  EXPECT_TRUE(q.push(&extra));
  EXPECT_EQ(q.size(), 5u);
}

TEST(LocalQueue, StealIntoTakesHalf) {
  std::vector<TaskHeader> items(10);
  LocalQueue victim(16), mine(16);
  for (auto& i : items) ASSERT_TRUE(victim.push(&i));
  TaskHeader* first = victim.steal_into(mine, 8);
  EXPECT_EQ(first, &items[0]);
  EXPECT_EQ(mine.size() + 1, 5u);
  EXPECT_EQ(victim.size(), 5u);
}

// Every item pushed is taken exactly once, by the owner or by one of the
// thieves, while the owner keeps hitting the capacity of 8.
TEST(LocalQueue, OwnerAgainstThievesEveryItemExactlyOnce) {
  constexpr int kItems = 200'000;
  constexpr int kThieves = 3;
  std::vector<TaskHeader> items(kItems);
  std::vector<std::atomic<int>> taken(kItems);
  LocalQueue q(8);
  std::atomic<bool> done{false};
  auto index = [&](TaskHeader* t) { return static_cast<int>(t - items.data()); };

  std::vector<std::thread> thieves;
  for (int i = 0; i < kThieves; ++i) {
    thieves.emplace_back([&] {
      LocalQueue mine(16);
      while (!done.load(std::memory_order_acquire) || !q.empty()) {
        if (TaskHeader* t = q.steal_into(mine, 4)) {
          taken[index(t)].fetch_add(1);
          while (TaskHeader* u = mine.pop()) taken[index(u)].fetch_add(1);
        }
      }
    });
  }
  int pushed = 0;
  while (pushed < kItems) {
    if (q.push(&items[pushed])) {
      ++pushed;
    } else if (TaskHeader* t = q.pop()) {
      taken[index(t)].fetch_add(1);
    }
    if (pushed % 3 == 0)
      if (TaskHeader* t = q.pop()) taken[index(t)].fetch_add(1);
  }
  while (TaskHeader* t = q.pop()) taken[index(t)].fetch_add(1);
  done.store(true, std::memory_order_release);
  for (auto& t : thieves) t.join();

  int wrong = 0;
  for (auto& t : taken) wrong += t.load() != 1;
  EXPECT_EQ(wrong, 0);
}

// The owner spills half while thieves steal: still every item exactly once.
TEST(LocalQueue, SpillAgainstThievesEveryItemExactlyOnce) {
  constexpr int kItems = 100'000;
  std::vector<TaskHeader> items(kItems);
  std::vector<std::atomic<int>> taken(kItems);
  LocalQueue q(16);
  std::atomic<bool> done{false};
  auto index = [&](TaskHeader* t) { return static_cast<int>(t - items.data()); };
  std::thread thief([&] {
    while (!done.load(std::memory_order_acquire) || !q.empty()) {
      TaskHeader* t = nullptr;
      if (q.steal(t) == LocalQueue::StealResult::kTaken) taken[index(t)].fetch_add(1);
    }
  });
  std::vector<TaskHeader*> spilled;
  for (int pushed = 0; pushed < kItems;) {
    if (q.push(&items[pushed])) {
      ++pushed;
      continue;
    }
    q.spill_half(spilled);
    for (TaskHeader* t : spilled) taken[index(t)].fetch_add(1);
  }
  while (TaskHeader* t = q.pop()) taken[index(t)].fetch_add(1);
  done.store(true, std::memory_order_release);
  thief.join();
  int wrong = 0;
  for (auto& t : taken) wrong += t.load() != 1;
  EXPECT_EQ(wrong, 0);
}

}  // namespace
