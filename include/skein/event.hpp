// skein::Event: a manual-reset event.
//
//   skein::Event ready;
//   co_await ready.wait();   // returns at once while the event is set
//   ready.set();             // wakes every waiting task; stays set until reset()
//
// ALGORITHM: `set_` is an atomic read without the lock on the fast path; it
// is written under a SpinLock that also guards the waiter list, and a waiter
// re-checks it under that lock before queueing, so a set() either is seen or
// finds the waiter queued.
// MEMORY ORDER: set() stores release, wait() loads acquire: what the setter
// wrote before set() is visible after wait() returns (also through the lock
// and schedule() for a woken waiter).
//
// THREAD SAFETY: any thread; wait() inside a skein task. A task suspended in
// wait() that is cancelled throws operation_canceled.
#pragma once

#include <atomic>

#include "skein/cancel.hpp"

namespace skein {

class Event {
 public:
  explicit Event(bool initially_set = false) : set_(initially_set) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    // Tasks still waiting (a lifetime bug) throw std::logic_error instead of
    // resuming into freed memory.
    detail::abandon_all(waiters_, lock_);
  }

  void set() {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    set_.store(true, std::memory_order_release);
    detail::complete_all(waiters_, wake);
  }
  void reset() {
    detail::SpinGuard g(lock_);
    set_.store(false, std::memory_order_relaxed);
  }
  // Tasks suspended waiting right now (for tests and diagnostics).
  std::size_t waiting() const noexcept { return detail::waiting_in(waiters_, lock_); }
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  class [[nodiscard]] Awaiter : public detail::SimpleWait<Event> {
    using SimpleWait::SimpleWait;
  };
  Awaiter wait() noexcept { return Awaiter(*this); }

 private:
  friend class detail::SimpleWait<Event>;
  bool try_complete_fast() const noexcept { return set_.load(std::memory_order_acquire); }
  bool try_complete_locked() const noexcept { return try_complete_fast(); }

  std::atomic<bool> set_;
  mutable detail::SpinLock lock_;
  detail::WaiterList waiters_;
};

}  // namespace skein
