// skein::Notify: wake one task, or all, without a value (Tokio's Notify).
//
//   skein::Notify n;
//   co_await n.notified();   // waits for a notification
//   n.notify_one();          // wakes one waiter, or leaves ONE permit for the next notified()
//   n.notify_all();          // wakes every current waiter; leaves no permit
//
// The permit makes notify_one() race-free as a one-shot signal: a notify_one
// that comes before the notified() is not lost. Permits do not accumulate
// (at most one is stored).
//
// ALGORITHM / MEMORY ORDER: a SpinLock guards the permit and the FIFO of
// waiters; the notifier's earlier writes are visible to the woken task (lock
// release/acquire, and schedule()'s hand-over).
//
// THREAD SAFETY: any thread; notified() inside a skein task. A task suspended
// in notified() that is cancelled throws operation_canceled and consumes no
// notification.
#pragma once

#include "skein/cancel.hpp"

namespace skein {

class Notify {
 public:
  Notify() = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;
  ~Notify() {
    // Tasks still waiting (a lifetime bug) throw std::logic_error instead of
    // resuming into freed memory.
    detail::abandon_all(waiters_, lock_);
  }

  void notify_one() {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    if (!detail::complete_one(waiters_, wake)) permit_ = true;
  }
  void notify_all() {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    detail::complete_all(waiters_, wake);
  }

  // Tasks suspended waiting right now (for tests and diagnostics).
  std::size_t waiting() const noexcept { return detail::waiting_in(waiters_, lock_); }
  class [[nodiscard]] Awaiter : public detail::SimpleWait<Notify> {
    using SimpleWait::SimpleWait;
  };
  Awaiter notified() noexcept { return Awaiter(*this); }

 private:
  friend class detail::SimpleWait<Notify>;
  bool try_complete_locked() noexcept {
    if (!permit_) return false;
    permit_ = false;
    return true;
  }
  bool try_complete_fast() noexcept {
    detail::SpinGuard g(lock_);
    return try_complete_locked();
  }

  mutable detail::SpinLock lock_;
  bool permit_ = false;
  detail::WaiterList waiters_;
};

}  // namespace skein
