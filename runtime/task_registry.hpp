// TaskRegistry: where shutdown finds the spawned tasks that never finished.
//
// Each spawned task gets a slot in the registry of the worker that spawned it
// (or the scheduler's external registry). The slot holds the task's header
// until the task finishes; the finisher, on whatever thread, clears the slot
// with a plain store (no read-modify-write, no lock).
//
// ALGORITHM: the slots form a ring of chunks that a cursor walks. allocate()
// takes the first cleared slot at or after the cursor. Tasks mostly finish
// soon after they are spawned, so the slot under the cursor is almost always
// free: one load and one store per spawn. If kMaxProbe slots in a row are
// all live, the registry is dense: it grows by as many slots as it has (one
// new chunk) and the cursor moves into the new chunk, so a full registry
// costs O(1) amortised per allocation, and memory is at most about twice the
// peak number of live tasks.
//
// THREAD SAFETY: allocate() and for_each_live() by the owner only (the
// external registry: under its mutex); clear() any thread.
// MEMORY ORDERS: a finisher clears its slot (relaxed) before it publishes
// kDone with a release RMW; shutdown reads the slots after joining every
// thread, and a reused slot is only ever read by the owner that saw it
// cleared. Relaxed is enough for the slots themselves.
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
    if (cursor_ && !cursor_->load(std::memory_order_relaxed)) [[likely]]
      return take_cursor(t);
    return allocate_slow(t);
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
  static constexpr std::size_t kMaxProbe = 16;
  static constexpr std::size_t kFirstChunk = 1024;

  struct Chunk {
    std::unique_ptr<Slot[]> slots;
    std::size_t size;
  };

  // The slot under the cursor is live (or there are no slots yet): probe on.
  [[gnu::noinline]] Slot* allocate_slow(TaskHeader* t) {
    for (std::size_t probe = 0; probe < kMaxProbe && cursor_; ++probe) {
      if (!cursor_->load(std::memory_order_relaxed)) return take_cursor(t);
      advance();
    }
    grow();
    return take_cursor(t);
  }

  // The slot under the cursor, which is free, holds `t` now; the cursor moves on.
  Slot* take_cursor(TaskHeader* t) noexcept {
    Slot* s = cursor_;
    advance();
    s->store(t, std::memory_order_relaxed);
    return s;
  }

  void advance() noexcept {
    if (++cursor_ == chunk_end_) next_chunk();
  }

  void next_chunk() noexcept {
    if (++chunk_ == chunks_.size()) chunk_ = 0;
    cursor_ = chunks_[chunk_].slots.get();
    chunk_end_ = cursor_ + chunks_[chunk_].size;
  }

  // A new chunk as large as all the others together; the cursor moves to its start.
  void grow() {
    const std::size_t n = total_ == 0 ? kFirstChunk : total_;
    Chunk c{std::make_unique<Slot[]>(n), n};
    for (std::size_t i = 0; i < n; ++i) c.slots[i].store(nullptr, std::memory_order_relaxed);
    chunks_.push_back(std::move(c));
    total_ += n;
    chunk_ = chunks_.size() - 1;
    cursor_ = chunks_[chunk_].slots.get();
    chunk_end_ = cursor_ + n;
  }

  std::vector<Chunk> chunks_;
  std::size_t chunk_ = 0;       // the chunk the cursor is in
  Slot* cursor_ = nullptr;      // the next slot to try; null before the first grow()
  Slot* chunk_end_ = nullptr;
  std::size_t total_ = 0;
};

}  // namespace skein::detail
