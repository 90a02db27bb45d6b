// BoundedRing<T>: the lock-free item buffer of a bounded skein::Channel
// (capacity >= 1). The channel's waiter queues and its lock stay in
// channel.hpp; this file only moves items.
//
// ALGORITHM: Vyukov's bounded MPMC array queue. Every slot carries a stamp;
// `tail_` is the next position to write, `head_` the next to read, and a
// producer (consumer) claims a position with one CAS on tail_ (head_), then
// writes (reads) its slot and publishes it by storing the slot's next stamp.
// A position is lap * one_lap + index with index < capacity and one_lap the
// next power of two above the capacity, so any capacity works without a
// division, and "position + 1" (item written) never equals another position.
//   slot stamp == p          empty, the producer of position p may write
//   slot stamp == p + 1      full, the consumer of position p may read
//   after the read           stamp = p + one_lap (the next lap's producer)
// Two flag bits ride on the positions:
//   kClosed   (tail_)        no producer can claim a position any more: close()
//                            sets it with one fetch_or, so every send either
//                            claimed its position before, and is delivered, or
//                            fails; a consumer sees "closed" only once the ring
//                            is drained up to the frozen tail.
//   kDiverted (tail_, head_) producers (consumers) must not use the lock-free
//                            path but take the channel's lock: set while tasks
//                            wait for an item (tail_) or for room (tail_ and
//                            head_), so that only lock holders move items and
//                            hand them to waiters in order.
// A bit is set by a CAS that re-checks the condition on the same word (the
// ring is still empty, still full), so no lock-free claim slips between the
// check and the diversion; it is cleared under the channel's lock. A stale
// bit only sends an operation through the lock once.
//
// WHO MAY CALL WHAT: try_push/try_pop from any thread; `as_lock_holder`
// (ignore kDiverted), divert_*, undivert and close only with the channel's
// lock held. T must be nothrow-move-constructible: a claimed position must
// be written, or every consumer behind it would wait for it forever.
//
// MEMORY ORDER: the slot stamp is the only publication of the item: release
// store after writing (reading) the slot, acquire load before reading
// (writing) it. The CASes on head_/tail_ only decide who owns a position, so
// they are relaxed; every flag decision is re-validated by a CAS on the word
// that carries it, and the flags are cleared under the lock (whose
// acquire/release orders them for the next holder). A consumer that finds
// its slot claimed but not yet written spins (with backoff) for the few
// instructions between the producer's CAS and its stamp store.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "skein/detail/backoff.hpp"

namespace skein::detail {

template <class T>
class BoundedRing {
 public:
  enum class Push { ok, full, diverted, closed };
  enum class Pop { ok, empty, diverted, closed };  // closed: closed and drained

  explicit BoundedRing(std::size_t capacity)
      : capacity_(capacity),
        one_lap_(std::bit_ceil(static_cast<std::uint64_t>(capacity) + 1)),
        slots_(std::make_unique<Slot[]>(capacity)) {
    for (std::size_t i = 0; i < capacity; ++i) slots_[i].stamp.store(i, std::memory_order_relaxed);
  }
  BoundedRing(const BoundedRing&) = delete;
  BoundedRing& operator=(const BoundedRing&) = delete;
  ~BoundedRing() {
    // No other thread runs now: destroy what is still queued.
    std::uint64_t h = position(head_.load(std::memory_order_relaxed));
    const std::uint64_t t = position(tail_.load(std::memory_order_relaxed));
    while (h != t) {
      std::destroy_at(slots_[index(h)].item());
      h = next(h);
    }
  }

  std::size_t capacity() const noexcept { return capacity_; }

  // Items in the ring (a snapshot; exact when no operation runs).
  std::size_t size() const noexcept {
    const std::uint64_t t = position(tail_.load(std::memory_order_acquire));
    const std::uint64_t h = position(head_.load(std::memory_order_acquire));
    if (t <= h) return 0;
    return static_cast<std::size_t>((t / one_lap_ - h / one_lap_) * capacity_ + index(t) - index(h));
  }
  bool closed() const noexcept { return tail_.load(std::memory_order_acquire) & kClosed; }

  // Moves from `v` only on Push::ok.
  Push try_push(T& v, bool as_lock_holder = false) noexcept {
    Backoff backoff(kMaxPauses);
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (t & kClosed) return Push::closed;
      if ((t & kDiverted) && !as_lock_holder) return Push::diverted;
      const std::uint64_t p = position(t);
      Slot& s = slots_[index(p)];
      const std::uint64_t stamp = s.stamp.load(std::memory_order_acquire);
      if (stamp == p) {
        if (tail_.compare_exchange_weak(t, next(p) | (t & kDiverted), std::memory_order_relaxed)) {
          std::construct_at(s.item(), std::move(v));
          s.stamp.store(p + 1, std::memory_order_release);
          return Push::ok;
        }
        continue;  // t was reloaded by the failed CAS
      }
      // Another producer took p, or the slot still holds the item one lap
      // behind: full, unless its consumer is reading it right now.
      const std::uint64_t again = tail_.load(std::memory_order_relaxed);
      if (again != t) {
        t = again;
        continue;
      }
      if (position(head_.load(std::memory_order_relaxed)) + one_lap_ == p) return Push::full;
      backoff.wait();
      t = tail_.load(std::memory_order_relaxed);
    }
  }

  // Leaves `out` untouched unless it returns Pop::ok.
  Pop try_pop(std::optional<T>& out, bool as_lock_holder = false) noexcept {
    Backoff backoff(kMaxPauses);
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    for (;;) {
      if ((h & kDiverted) && !as_lock_holder) return Pop::diverted;
      const std::uint64_t p = position(h);
      Slot& s = slots_[index(p)];
      const std::uint64_t stamp = s.stamp.load(std::memory_order_acquire);
      if (stamp == p + 1) {
        if (head_.compare_exchange_weak(h, next(p) | (h & kDiverted), std::memory_order_relaxed)) {
          T* item = s.item();
          out.emplace(std::move(*item));
          std::destroy_at(item);
          s.stamp.store(p + one_lap_, std::memory_order_release);
          return Pop::ok;
        }
        continue;
      }
      // Not written yet: empty if no producer has claimed position p,
      // otherwise its producer is between its CAS and its stamp store.
      const std::uint64_t t = tail_.load(std::memory_order_acquire);
      if (position(t) == p) return (t & kClosed) ? Pop::closed : Pop::empty;
      const std::uint64_t again = head_.load(std::memory_order_relaxed);
      if (again != h) {  // another consumer took p
        h = again;
        continue;
      }
      backoff.wait();
      h = head_.load(std::memory_order_relaxed);
    }
  }

  // Lock held. Sets kDiverted on tail_ if the ring is empty and open, so
  // that every later send takes the lock (and finds the waiting receiver).
  bool divert_if_empty() noexcept {
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t & kClosed) return false;
    if (position(head_.load(std::memory_order_relaxed)) != position(t)) return false;
    if (t & kDiverted) return true;  // only lock holders move tail_ now
    // Fails if a producer claimed a position after we read t.
    return tail_.compare_exchange_strong(t, t | kDiverted, std::memory_order_relaxed);
  }

  // Lock held. Sets kDiverted on tail_ and head_ if the ring is full and
  // open: from then on only lock holders push or pop, so the room a receive
  // makes goes to the longest-waiting sender.
  bool divert_if_full() noexcept {
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t & kClosed) return false;
    if (!(t & kDiverted)) {
      if (!tail_.compare_exchange_strong(t, t | kDiverted, std::memory_order_relaxed)) return false;
      t |= kDiverted;
    }
    // Producers are stopped; the ring is full if no consumer claimed since.
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (position(h) + one_lap_ == position(t) &&
        ((h & kDiverted) || head_.compare_exchange_strong(h, h | kDiverted, std::memory_order_relaxed)))
      return true;
    tail_.fetch_and(~kDiverted, std::memory_order_relaxed);
    return false;
  }

  // Lock held, nobody waits any more: back to the lock-free paths.
  void undivert() noexcept {
    if (tail_.load(std::memory_order_relaxed) & kDiverted) tail_.fetch_and(~kDiverted, std::memory_order_relaxed);
    if (head_.load(std::memory_order_relaxed) & kDiverted) head_.fetch_and(~kDiverted, std::memory_order_relaxed);
  }

  // Lock held. Returns false if it was closed already.
  bool close() noexcept { return !(tail_.fetch_or(kClosed, std::memory_order_acq_rel) & kClosed); }

 private:
  static constexpr std::uint64_t kClosed = 1ull << 63;
  static constexpr std::uint64_t kDiverted = 1ull << 62;
  static constexpr std::uint64_t kPositionMask = kDiverted - 1;
  // The wait for another thread's step between its CAS and its stamp store.
  static constexpr unsigned kMaxPauses = 64;

  struct Slot {
    std::atomic<std::uint64_t> stamp;
    alignas(T) unsigned char storage[sizeof(T)];
    T* item() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  static std::uint64_t position(std::uint64_t word) noexcept { return word & kPositionMask; }
  std::uint64_t index(std::uint64_t p) const noexcept { return p & (one_lap_ - 1); }
  std::uint64_t next(std::uint64_t p) const noexcept {
    return index(p) + 1 < capacity_ ? p + 1 : (p & ~(one_lap_ - 1)) + one_lap_;
  }
  const std::size_t capacity_;
  const std::uint64_t one_lap_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  char pad_[64 - sizeof(std::atomic<std::uint64_t>)];
};

}  // namespace skein::detail
