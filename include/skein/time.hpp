// Timers: sleeping tasks and deadlines.
//
//   co_await skein::sleep_for(10ms);
//   co_await skein::sleep_until(skein::Clock::now() + 1s);
//   auto n = co_await skein::with_timeout(500ms, stream.read(buf));  // throws std::system_error(timed_out)
//
// A sleeper costs no thread and no ring operation: it is a node in its
// worker's timer heap (the node lives in the sleeping frame), and the worker
// sleeps in its io_uring with the nearest deadline as the wait's timeout.
// Cancelling a sleeping task (JoinHandle::cancel) resumes it at once with
// skein::operation_canceled. A deadline already passed does not suspend
// (unless the task's cooperative budget is used up: then it yields).
#pragma once

#include <chrono>
#include <system_error>

#include "skein/error.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace skein {

// CLOCK_MONOTONIC.
using Clock = std::chrono::steady_clock;

Task<void> sleep_until(Clock::time_point deadline);

template <class Rep, class Period>
Task<void> sleep_for(std::chrono::duration<Rep, Period> d) {
  return sleep_until(Clock::now() + std::chrono::ceil<Clock::duration>(d));
}

namespace detail {

struct DeadlineTimer;
// Arms a timer on the calling worker that cancels the running task at
// `deadline` (request_cancel). disarm_deadline: any thread, once; returns
// true if the timer fired (it waits for a firing that is in progress).
DeadlineTimer* arm_deadline(Clock::time_point deadline);
bool disarm_deadline(DeadlineTimer* t) noexcept;
[[noreturn]] void throw_timed_out();

class DeadlineGuard {
 public:
  explicit DeadlineGuard(Clock::time_point deadline) : t_(arm_deadline(deadline)) {}
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;
  ~DeadlineGuard() { disarm(); }
  bool disarm() noexcept {
    if (t_) {
      fired_ = disarm_deadline(t_);
      t_ = nullptr;
    }
    return fired_;
  }

 private:
  DeadlineTimer* t_;
  bool fired_ = false;
};

// Runs as its own spawned task, so that the cancellation the deadline sends
// stops only `inner`, not the caller.
template <class T>
Task<T> run_with_deadline(Task<T> inner, Clock::time_point deadline) {
  DeadlineGuard guard(deadline);
  try {
    co_return co_await std::move(inner);
  } catch (const operation_canceled&) {
    if (guard.disarm()) throw_timed_out();
    throw;
  }
}

}  // namespace detail

// Runs `task` with a deadline: at `d` from now it is cancelled (the I/O or
// sleep it waits in is withdrawn, buffers stay valid until the kernel lets
// go) and with_timeout throws std::system_error with std::errc::timed_out.
// `task` runs as a separate spawned task (it may run on another worker); the
// caller waits for it to finish either way.
template <class Rep, class Period, class T>
Task<T> with_timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  const auto deadline = Clock::now() + std::chrono::ceil<Clock::duration>(d);
  auto handle = spawn(detail::run_with_deadline(std::move(task), deadline));
  co_return co_await handle;
}

}  // namespace skein
