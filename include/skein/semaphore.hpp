// skein::Semaphore: a counting semaphore for tasks.
//
//   skein::Semaphore slots(4);          // at most 4 tasks in the section
//   co_await slots.acquire();
//   ... ; slots.release();
//
// FAIRNESS: FIFO. release() hands its permit straight to the longest waiter;
// a free permit is not taken by a newcomer while others wait.
//
// ALGORITHM / MEMORY ORDER: a SpinLock guards the permit count and the FIFO
// of waiters; permits change hands under it (acquire/release), and a woken
// waiter reads its state after schedule()'s release/acquire hand-over.
//
// THREAD SAFETY: any thread; acquire() inside a skein task. A task suspended
// in acquire() that is cancelled throws operation_canceled and holds no permit.
#pragma once

#include <cstddef>
#include <stdexcept>

#include "skein/cancel.hpp"

namespace skein {

class Semaphore {
 public:
  explicit Semaphore(std::size_t permits) : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore() {
    // Tasks still waiting (a lifetime bug) throw std::logic_error instead of
    // resuming into freed memory.
    detail::abandon_all(waiters_, lock_);
  }

  bool try_acquire() {
    detail::SpinGuard g(lock_);
    return try_complete_locked();
  }

  // Returns n permits; each goes to a waiter if one waits.
  void release(std::size_t n = 1) {
    if (n == 0) return;
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    while (n > 0 && detail::complete_one(waiters_, wake)) --n;
    permits_ += n;
  }

  // Tasks suspended waiting right now (for tests and diagnostics).
  std::size_t waiting() const noexcept { return detail::waiting_in(waiters_, lock_); }
  std::size_t available() const {
    detail::SpinGuard g(lock_);
    return permits_;
  }

  // A task that has spent its budget yields before taking a permit, never
  // while holding it (detail::HeldAcquireWait).
  class [[nodiscard]] Awaiter : public detail::HeldAcquireWait<Semaphore> {
    using HeldAcquireWaitOf::HeldAcquireWaitOf;
  };
  Awaiter acquire() noexcept { return Awaiter(*this); }

 private:
  friend class detail::SimpleWait<Semaphore>;
  bool try_complete_locked() noexcept {
    if (permits_ == 0 || !waiters_.empty()) return false;
    --permits_;
    return true;
  }
  bool try_complete_fast() noexcept {
    detail::SpinGuard g(lock_);
    return try_complete_locked();
  }

  mutable detail::SpinLock lock_;
  std::size_t permits_;
  detail::WaiterList waiters_;
};

}  // namespace skein
