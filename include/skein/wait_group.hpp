// skein::WaitGroup: wait until a group of tasks is done (Go's sync.WaitGroup).
//
//   skein::WaitGroup wg;
//   for (int i = 0; i < n; ++i) { wg.add(1); skein::spawn(work(wg)).detach(); }  // work calls wg.done()
//   co_await wg.wait();
//
// add(n) raises the counter (n may be negative); done() is add(-1). Making
// the counter negative throws std::logic_error and leaves it unchanged.
// wait() completes once the counter is zero; when it drops to zero every
// waiting task is woken. A WaitGroup may be reused once it reached zero.
//
// ALGORITHM: the counter is an atomic changed with a CAS loop (so it never
// goes negative, not even briefly); the waiters sit in a SpinLock-guarded
// list. A waiter checks the counter under the lock before queueing; whoever
// brings the counter to zero takes the lock afterwards and wakes the list. So
// a waiter either saw zero, or queued before the zeroing task took the lock
// and is woken by it: no lost wake-up.
// MEMORY ORDER: the CAS is acq_rel and the waiter's load acquire: all the
// RMWs on the counter form one release sequence, so the work of every task
// that called done() happens before a wait() that sees zero returns.
//
// THREAD SAFETY: all members from any thread; wait() inside a skein task.
// A task suspended in wait() that is cancelled throws operation_canceled.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "skein/cancel.hpp"

namespace skein {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;
  ~WaitGroup() {
    // Tasks still waiting (a lifetime bug) throw std::logic_error instead of
    // resuming into freed memory.
    detail::abandon_all(waiters_, lock_);
  }

  void add(std::int64_t n) {
    std::int64_t c = count_.load(std::memory_order_relaxed);
    std::int64_t next;
    do {
      next = c + n;
      if (next < 0)
        throw std::logic_error("skein::WaitGroup: counter would become negative (" + std::to_string(c) + " + " +
                               std::to_string(n) + "): more done() than add()");
    } while (!count_.compare_exchange_weak(c, next, std::memory_order_acq_rel, std::memory_order_relaxed));
    if (next == 0 && n != 0) {
      detail::WakeList wake;
      detail::SpinGuard g(lock_);
      detail::complete_all(waiters_, wake);
    }
  }
  void done() { add(-1); }
  // Tasks suspended waiting right now (for tests and diagnostics).
  std::size_t waiting() const noexcept { return detail::waiting_in(waiters_, lock_); }
  std::int64_t count() const noexcept { return count_.load(std::memory_order_acquire); }

  class [[nodiscard]] Awaiter : public detail::SimpleWait<WaitGroup> {
    using SimpleWait::SimpleWait;
  };
  Awaiter wait() noexcept { return Awaiter(*this); }

 private:
  friend class detail::SimpleWait<WaitGroup>;
  bool try_complete_fast() noexcept { return count_.load(std::memory_order_acquire) == 0; }
  bool try_complete_locked() noexcept { return try_complete_fast(); }

  std::atomic<std::int64_t> count_{0};
  mutable detail::SpinLock lock_;
  detail::WaiterList waiters_;
};

}  // namespace skein
