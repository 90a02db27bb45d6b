// TaskRegistry: where shutdown finds the spawned tasks that never finished.
//
// Each spawned task gets a slot in the registry of the worker that spawned it
// (or the scheduler's external registry). The slot holds the task's header
// until the task finishes; the finisher, on whatever thread, clears the slot
// with a plain store (no read-modify-write, no lock). The owner reuses cleared
// slots: when its free list is empty it scans every slot once, collecting the
// cleared ones, and grows by as many slots as it has if fewer than half were
// free. Each scan yields at least as many free slots as it read, so slot
// allocation is amortised O(1).
//
// THREAD SAFETY: allocate() and for_each_live() by the owner only (the
// external registry: under its mutex); clear() any thread.
// MEMORY ORDERS: a finisher clears its slot (relaxed) before it publishes
// kDone with a release RMW; shutdown reads the slots after joining every
// thread, and a reused slot is only ever read by the owner that cleared-seen
// it. Relaxed is enough for the slots themselves.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "skein/detail/task_header.hpp"

namespace skein::detail {

class TaskRegistry {
 public:
  using Slot = std::atomic<TaskHeader*>;

  // Owner only.
  Slot* allocate(TaskHeader* t) {
    if (free_.empty()) refill();
    Slot* s = free_.back();
    free_.pop_back();
    s->store(t, std::memory_order_relaxed);
    return s;
  }

  static void clear(Slot* s) noexcept { s->store(nullptr, std::memory_order_relaxed); }

  // Owner only (or after every thread is joined): calls f on every task
  // whose slot is still set.
  template <class F>
  void for_each_live(F&& f) const {
    for (const auto& chunk : chunks_)
      for (std::size_t i = 0; i < chunk.size; ++i)
        if (TaskHeader* t = chunk.slots[i].load(std::memory_order_relaxed)) f(t);
  }

  std::size_t capacity() const noexcept { return total_; }

 private:
  struct Chunk {
    std::unique_ptr<Slot[]> slots;
    std::size_t size;
  };

  void refill() {
    for (const auto& chunk : chunks_)
      for (std::size_t i = 0; i < chunk.size; ++i)
        if (!chunk.slots[i].load(std::memory_order_relaxed)) free_.push_back(&chunk.slots[i]);
    if (free_.size() * 2 < total_ || total_ == 0) {
      const std::size_t n = total_ == 0 ? 1024 : total_;
      Chunk c{std::make_unique<Slot[]>(n), n};
      for (std::size_t i = 0; i < n; ++i) {
        c.slots[i].store(nullptr, std::memory_order_relaxed);
        free_.push_back(&c.slots[i]);
      }
      chunks_.push_back(std::move(c));
      total_ += n;
    }
  }

  std::vector<Chunk> chunks_;
  std::vector<Slot*> free_;
  std::size_t total_ = 0;
};

}  // namespace skein::detail
