// skein::Mutex: an asynchronous mutex; waiting for it suspends the task, not
// the thread.
//
//   skein::Mutex m;
//   {
//     auto guard = co_await m.lock();   // skein::Mutex::Guard, unlocks when destroyed
//     ++shared_counter;
//   }
//
// FAIRNESS: strict FIFO hand-off. unlock() with tasks waiting does not free
// the mutex: ownership passes directly to the longest waiter, so a task that
// keeps relocking cannot starve the others. The price under contention: once
// a queue forms, every acquisition is a hand-off to a suspended task (a
// schedule and a task switch), so a hot contended mutex runs at the task
// switch rate (bench mutex_contended, 2 workers: about 25 M lock/unlock per
// second; a barging std::mutex between threads does more). A task never
// yields for its budget while holding the mutex (see LockAwaiter), so on one
// worker no queue forms at all (about 62 M lock/unlock per second).
//
// ALGORITHM / MEMORY ORDER: a SpinLock guards `locked_` and the FIFO of
// waiters; a task acquires the mutex under that lock, so the previous owner's
// writes (released by its unlock's critical section, or by schedule() for a
// hand-off) are visible to the next owner.
//
// THREAD SAFETY: any thread; lock() inside a skein task. The guard may be
// released on another worker than the one that locked (tasks migrate).
// Unlocking a mutex that is not locked throws std::logic_error. A task
// suspended in lock() that is cancelled throws operation_canceled and does
// not own the mutex.
#pragma once

#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "skein/cancel.hpp"

namespace skein {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex() {
    // Tasks still waiting (a lifetime bug) throw std::logic_error instead of
    // resuming into freed memory.
    detail::abandon_all(waiters_, lock_);
  }

  // Owns a locked Mutex; unlocks it when destroyed. Movable.
  class [[nodiscard]] Guard {
   public:
    Guard() = default;
    Guard(Mutex& m, std::adopt_lock_t) noexcept : m_(&m) {}
    Guard(Guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    Guard& operator=(Guard&& o) noexcept {
      if (this != &o) {
        reset();
        m_ = std::exchange(o.m_, nullptr);
      }
      return *this;
    }
    ~Guard() { reset(); }
    bool owns_lock() const noexcept { return m_ != nullptr; }
    void unlock() {
      if (!m_) throw std::logic_error("skein::Mutex::Guard::unlock: the guard owns no lock");
      std::exchange(m_, nullptr)->unlock();
    }

   private:
    void reset() noexcept {
      if (m_) std::exchange(m_, nullptr)->unlock_nothrow();
    }
    Mutex* m_ = nullptr;
  };

  // Tasks suspended in lock() right now (for tests and diagnostics).
  std::size_t waiting() const {
    detail::SpinGuard g(lock_);
    return waiters_.size();
  }

  bool try_lock() {
    detail::SpinGuard g(lock_);
    return try_complete_locked();
  }

  void unlock() {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    if (!locked_) throw std::logic_error("skein::Mutex::unlock: the mutex is not locked");
    if (!detail::complete_one(waiters_, wake)) locked_ = false;  // else: handed off, stays locked
  }

  // A task that has spent its budget yields before taking the mutex, never
  // while holding it (detail::HeldAcquireWait).
  class [[nodiscard]] LockAwaiter : public detail::HeldAcquireWait<Mutex> {
   public:
    using HeldAcquireWaitOf::HeldAcquireWaitOf;
    Guard await_resume() {
      HeldAcquireWaitOf::await_resume();
      return Guard(*p_, std::adopt_lock);
    }
  };
  // co_await: a Guard owning the mutex.
  LockAwaiter lock() noexcept { return LockAwaiter(*this); }

 private:
  friend class detail::SimpleWait<Mutex>;
  bool try_complete_locked() noexcept {
    if (locked_) return false;
    locked_ = true;
    return true;
  }
  bool try_complete_fast() noexcept {
    detail::SpinGuard g(lock_);
    return try_complete_locked();
  }
  void unlock_nothrow() noexcept {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    if (!detail::complete_one(waiters_, wake)) locked_ = false;
  }

  mutable detail::SpinLock lock_;
  bool locked_ = false;
  detail::WaiterList waiters_;
};

}  // namespace skein
