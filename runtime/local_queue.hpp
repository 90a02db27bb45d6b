// LocalQueue: a worker's bounded work-stealing deque (Chase-Lev).
//
// ALGORITHM: Chase & Lev's deque with the C11 memory orders of Lê, Pop, Cohen
// and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
// Models" (PPoPP 2013), on a fixed ring of `capacity` slots (a power of two).
// The owner pushes and pops at `bottom` (newest first, cache-warm); thieves
// take from `top` (oldest first: in fork-join code the biggest pieces of work).
// A thief that wants half of a victim's tasks takes them one CAS at a time
// (steal_into): each step is the classic single steal, so the owner's
// CAS-free pop stays correct.
//
// THREAD SAFETY:
//   push, pop, spill_half   owner thread only
//   steal, steal_into       any thread
//   size                    any thread (a snapshot)
//
// MEMORY ORDERS:
//   push: the slot store may be relaxed; the release store of `bottom` that
//     follows publishes both the slot and the task it points to. A thief's
//     acquire load of `bottom` pairs with it.
//   pop: `bottom` is lowered with a seq_cst store, then `top` is read with a
//     seq_cst load: store-load order (no weaker order prevents both owner and
//     thief from taking the last task). The paper's release store + seq_cst
//     fence is equivalent; one xchg is cheaper than a store and an mfence.
//     Only when one task is left does the owner race thieves with a CAS.
//   steal: seq_cst loads of `top` then `bottom` (pairing with pop in the
//     single total order; acquire also makes the pushed task visible); the
//     seq_cst CAS on `top` decides who gets the slot. No standalone fences,
//     so ThreadSanitizer sees every hand-over.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "skein/detail/task_header.hpp"

namespace skein::detail {

class LocalQueue {
 public:
  using Item = TaskHeader*;

  explicit LocalQueue(std::size_t capacity) : capacity_(round_up_pow2(capacity)), mask_(capacity_ - 1) {
    slots_ = std::make_unique<std::atomic<Item>[]>(capacity_);
  }
  LocalQueue(const LocalQueue&) = delete;
  LocalQueue& operator=(const LocalQueue&) = delete;

  std::size_t capacity() const noexcept { return capacity_; }

  // Owner only. False when full (the caller spills half and retries).
  bool push(Item item) noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    const std::int64_t t = top_.load(std::memory_order_acquire);
    if (b - t >= static_cast<std::int64_t>(capacity_)) return false;
    slots_[b & mask_].store(item, std::memory_order_relaxed);
    bottom_.store(b + 1, std::memory_order_release);
    return true;
  }

  // Owner only. Newest first; null when empty.
  Item pop() noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    // seq_cst store, then seq_cst load of top: the store-load order Dekker
    // needs against steal()'s seq_cst loads (one xchg on x86, cheaper than
    // a release store plus mfence).
    bottom_.store(b, std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    if (t > b) {  // empty
      bottom_.store(b + 1, std::memory_order_release);
      return nullptr;
    }
    Item item = slots_[b & mask_].load(std::memory_order_relaxed);
    if (t == b) {  // the last one: race the thieves for it
      if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
        item = nullptr;
      bottom_.store(b + 1, std::memory_order_release);
    }
    return item;
  }

  enum class StealResult { kEmpty, kLostRace, kTaken };

  // Any thread. Oldest first.
  StealResult steal(Item& out) noexcept {
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    const std::int64_t b = bottom_.load(std::memory_order_seq_cst);
    if (t >= b) return StealResult::kEmpty;
    Item item = slots_[t & mask_].load(std::memory_order_relaxed);
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
      return StealResult::kLostRace;
    out = item;
    return StealResult::kTaken;
  }

  // Any thread except dst's owner calls it on a victim; dst must be the
  // caller's own queue. Moves up to half of this queue (at most `max`) into
  // dst, one steal at a time, and returns the first task taken for the caller
  // to run (null if none).
  Item steal_into(LocalQueue& dst, std::size_t max) noexcept {
    Item first = nullptr;
    std::size_t want = (size() + 1) / 2;
    if (want > max) want = max;
    if (want == 0) want = 1;
    int races = 0;
    for (std::size_t taken = 0; taken < want;) {
      Item item;
      switch (steal(item)) {
        case StealResult::kEmpty:
          return first;
        case StealResult::kLostRace:
          if (++races > 4) return first;  // contended: take what we have
          continue;
        case StealResult::kTaken:
          break;
      }
      ++taken;
      if (!first) {
        first = item;
      } else if (!dst.push(item)) {
        // Cannot happen while dst holds fewer than half its capacity, which
        // the caller ensures; keep the task anyway by running it next.
        assert(false && "steal_into: destination full");
      }
    }
    return first;
  }

  // Owner only: moves the oldest half of the queue into `out` (to hand it to
  // the injection queue when the deque is full). One CAS claims the whole
  // range: the owner is the only writer of slots and writes only at bottom,
  // so the copied slots cannot change; a thief that took `top` first makes
  // the CAS fail and the copy is redone. Returns how many.
  std::size_t spill_half(std::vector<Item>& out) {
    for (;;) {
      out.clear();
      std::int64_t t = top_.load(std::memory_order_seq_cst);
      const std::int64_t b = bottom_.load(std::memory_order_relaxed);
      const std::int64_t n = (b - t) / 2;
      if (n <= 0) return 0;
      for (std::int64_t i = t; i < t + n; ++i) out.push_back(slots_[i & mask_].load(std::memory_order_relaxed));
      if (top_.compare_exchange_strong(t, t + n, std::memory_order_seq_cst, std::memory_order_relaxed))
        return static_cast<std::size_t>(n);
    }
  }

  // Any thread: a snapshot, exact only when nobody else touches the queue.
  std::size_t size() const noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_acquire);
    const std::int64_t t = top_.load(std::memory_order_acquire);
    return b > t ? static_cast<std::size_t>(b - t) : 0;
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  static std::size_t round_up_pow2(std::size_t n) noexcept {
    std::size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }

  alignas(64) std::atomic<std::int64_t> top_{0};
  alignas(64) std::atomic<std::int64_t> bottom_{0};
  alignas(64) std::size_t capacity_;
  std::size_t mask_;
  std::unique_ptr<std::atomic<Item>[]> slots_;
};

}  // namespace skein::detail
