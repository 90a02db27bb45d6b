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
#include <type_traits>
#include <system_error>

#include "skein/error.hpp"
#include "skein/detail/task_header.hpp"
#include "skein/task.hpp"

namespace skein {

// CLOCK_MONOTONIC.
using Clock = std::chrono::steady_clock;

Task<void> sleep_until(Clock::time_point deadline);

namespace detail {
// now + d, without overflow: durations beyond ~100 years are clamped.
template <class Rep, class Period>
Clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) {
  constexpr double kMaxSeconds = 100.0 * 365 * 24 * 3600;
  if (std::chrono::duration<double>(d).count() > kMaxSeconds)
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(kMaxSeconds));
  return Clock::now() + std::chrono::ceil<Clock::duration>(d);
}
}  // namespace detail

template <class Rep, class Period>
Task<void> sleep_for(std::chrono::duration<Rep, Period> d) {
  return sleep_until(detail::deadline_after(d));
}

namespace detail {

struct DeadlineTimer;

// A deadline over part of the running task (with_deadline's body). Opening it
// arms a timer on this worker; at the deadline the timer adds kDeadlineUnit
// to the task's flags and withdraws the wait the task is in, so the task
// stops at its current or next cancellable wait (operation_canceled), as if
// cancelled, but only while the scope is open: close() takes the unit back.
// Nested scopes each have their own timer and unit. Out of line
// (io/timer.cpp). Only inside a skein task (on a worker with or without
// io_uring).
class DeadlineScope {
 public:
  explicit DeadlineScope(Clock::time_point deadline);
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;
  ~DeadlineScope() { close(); }
  // Disarms the timer (waiting for a firing in progress on another worker)
  // and takes back the unit a firing added. Idempotent.
  void close() noexcept;
  // After close(): the deadline passed and the task was not also cancelled
  // (JoinHandle::cancel wins over a timeout).
  bool timed_out() const noexcept;

 private:
  DeadlineTimer* timer_;
  TaskHeader* task_;
  bool fired_ = false;
};

[[noreturn]] void throw_timed_out(const char* what);

}  // namespace detail

// Runs `task` with a deadline: if it has not finished at `deadline`, it is
// stopped at its current or next cancellable wait (the I/O or wait is
// withdrawn; buffers stay valid until the kernel lets go) and with_deadline
// throws std::system_error with std::errc::timed_out. `task` runs inside the
// caller's task, on the caller's worker (no spawn; a pinned caller stays
// pinned), so a cancel of the caller reaches it directly and wins: the
// caller then gets operation_canceled, not timed_out. A task that finishes
// at the deadline keeps its result. Nested deadlines each report their own.
// with_timeout: the same with a duration from now. For a timeout on every
// read of a stream, TcpStream::set_read_timeout needs no timer per call.
template <class T>
Task<T> with_deadline(Clock::time_point deadline, Task<T> task) {
  detail::DeadlineScope scope(deadline);
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
    } else {
      co_return co_await std::move(task);
    }
  } catch (const operation_canceled&) {
    scope.close();
    if (scope.timed_out()) detail::throw_timed_out("skein::with_timeout: deadline passed");
    throw;
  }
}

template <class Rep, class Period, class T>
Task<T> with_timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  return with_deadline(detail::deadline_after(d), std::move(task));
}

}  // namespace skein
