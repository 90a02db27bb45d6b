// TaskRegistry: slots are reused once cleared, every live task is found, a
// dense registry grows, and clearing from another thread is seen.
#include "runtime/task_registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace {

using skein::detail::TaskHeader;
using skein::detail::TaskRegistry;

// The registry only stores the pointers; fake, distinct ones are enough.
TaskHeader* fake(std::size_t i) { return reinterpret_cast<TaskHeader*>((i + 1) * 64); }

std::set<TaskHeader*> live(const TaskRegistry& r) {
  std::set<TaskHeader*> out;
  r.for_each_live([&](TaskHeader* t) { out.insert(t); });
  return out;
}

TEST(TaskRegistry, FindsExactlyTheTasksNotCleared) {
  TaskRegistry r;
  std::vector<TaskRegistry::Slot*> slots;
  for (std::size_t i = 0; i < 100; ++i) slots.push_back(r.allocate(fake(i)));
  EXPECT_EQ(live(r).size(), 100u);
  for (std::size_t i = 0; i < 100; i += 2) TaskRegistry::clear(slots[i]);
  const auto left = live(r);
  EXPECT_EQ(left.size(), 50u);
  for (std::size_t i = 1; i < 100; i += 2) EXPECT_TRUE(left.count(fake(i)));
}

TEST(TaskRegistry, ClearedSlotsAreReusedWithoutGrowing) {
  TaskRegistry r;
  std::vector<TaskRegistry::Slot*> window;  // at most 64 live at a time
  for (std::size_t i = 0; i < 100'000; ++i) {
    window.push_back(r.allocate(fake(i)));
    if (window.size() == 64) {
      for (auto* s : window) TaskRegistry::clear(s);
      window.clear();
    }
  }
  EXPECT_EQ(r.capacity(), 1024u);  // the first chunk only
  EXPECT_EQ(live(r).size(), window.size());
}

TEST(TaskRegistry, DenseRegistryGrowsAndKeepsEverySlotDistinct) {
  TaskRegistry r;
  std::set<TaskRegistry::Slot*> slots;
  for (std::size_t i = 0; i < 5000; ++i) slots.insert(r.allocate(fake(i)));
  EXPECT_EQ(slots.size(), 5000u);
  EXPECT_GE(r.capacity(), 5000u);
  EXPECT_LE(r.capacity(), 2 * 5000u + 1024u);
  EXPECT_EQ(live(r).size(), 5000u);
}

TEST(TaskRegistry, SlotsClearedOnAnotherThreadAreReused) {
  TaskRegistry r;
  std::vector<TaskRegistry::Slot*> slots;
  for (std::size_t i = 0; i < 1024; ++i) slots.push_back(r.allocate(fake(i)));
  std::thread([&] {
    for (auto* s : slots) TaskRegistry::clear(s);
  }).join();
  for (std::size_t i = 0; i < 1024; ++i) r.allocate(fake(5000 + i));
  EXPECT_EQ(r.capacity(), 1024u);
  EXPECT_EQ(live(r).size(), 1024u);
}

}  // namespace
