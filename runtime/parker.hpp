// Parker: how one worker sleeps and is woken (a futex on one word).
// io/ derives a parker that sleeps inside the worker's io_uring instead.
//
// PROTOCOL (state: kEmpty, kParked, kNotified):
//   park():   exchange(kEmpty) returned kNotified? a wake-up is already
//             pending: consume it and return. Else CAS kEmpty -> kParked and
//             futex-wait while the word is kParked; return once it is
//             kNotified (a spurious futex return just waits again).
//   unpark(): exchange(kNotified); if the old value was kParked, futex-wake.
// A wake-up that comes before park() is never lost: it leaves kNotified,
// which the next park() consumes without sleeping.
//
// park() may also return without an unpark() (an I/O parker returns when a
// completion made a task runnable); callers treat every return as "look again".
//
// THREAD SAFETY: park() only by the owning worker; unpark() by any thread.
// MEMORY ORDERS: the exchanges and the CAS are acq_rel/acquire so that what
// the unparker wrote before unpark() (a queued task) is visible after park()
// returns.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace skein::detail {

class Parker {
 public:
  virtual ~Parker() = default;

  virtual void park() {
    if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) return;
    std::uint32_t expected = kEmpty;
    if (!state_.compare_exchange_strong(expected, kParked, std::memory_order_acq_rel, std::memory_order_acquire)) {
      // Only unpark() changes the word meanwhile: it is kNotified now.
      state_.store(kEmpty, std::memory_order_relaxed);
      return;
    }
    while (state_.load(std::memory_order_acquire) == kParked) futex_wait(kParked);
    state_.store(kEmpty, std::memory_order_relaxed);
  }

  virtual void unpark() {
    if (state_.exchange(kNotified, std::memory_order_acq_rel) == kParked) futex_wake();
  }

  // Reaps pending events without sleeping (an I/O parker completes
  // operations here and schedules their tasks). True if any task was woken.
  virtual bool poll_events() { return false; }

  // Timers queued on this worker (sleeps, deadlines). Any thread; a relaxed
  // snapshot for the stats.
  virtual std::uint64_t pending_timers() const noexcept { return 0; }

 protected:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kParked = 1;
  static constexpr std::uint32_t kNotified = 2;

 private:
  void futex_wait(std::uint32_t value) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
  }
  void futex_wake() {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

  std::atomic<std::uint32_t> state_{kEmpty};
};

}  // namespace skein::detail

#include <cstddef>
#include <memory>

namespace skein::detail {
// Creates the Parker worker `worker_index` sleeps in; called on that worker's
// own thread when it starts (so an io_uring it creates has a single issuer).
// Defined in io/ (the runtime itself does not know io_uring).
std::unique_ptr<Parker> make_worker_parker(std::size_t worker_index);
}  // namespace skein::detail
