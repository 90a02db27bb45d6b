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
#include <optional>
#include <type_traits>
#include <system_error>

#include "skein/error.hpp"
#include "skein/spawn.hpp"
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

// Runs `inner` as its own spawned task with a deadline: at the deadline the
// spawned task is cancelled (only it, not the caller), and the cancellation
// comes out as std::system_error(timed_out). Out of line (io/timer.cpp): one
// body for every T, which store_result adapts.
Task<void> run_with_deadline(Task<void> inner, Clock::time_point deadline);

template <class T>
Task<void> store_result(Task<T> t, std::optional<T>& out) {
  out.emplace(co_await std::move(t));
}

}  // namespace detail

// Runs `task` with a deadline: at `d` from now it is cancelled (the I/O or
// sleep it waits in is withdrawn, buffers stay valid until the kernel lets
// go) and with_timeout throws std::system_error with std::errc::timed_out.
// `task` runs as a separate spawned task (it may run on another worker; it
// sees the cancellation at its current or next cancellable wait); the caller
// waits for it to finish either way, and cancelling the caller cancels it
// too. with_deadline: the same with a point in time. For a timeout on every
// read of a stream, TcpStream::set_read_timeout is cheaper (no spawn).
Task<void> with_deadline(Clock::time_point deadline, Task<void> task);

template <class T>
Task<T> with_deadline(Clock::time_point deadline, Task<T> task) {
  std::optional<T> out;
  co_await with_deadline(deadline, detail::store_result(std::move(task), out));
  co_return std::move(*out);
}

template <class Rep, class Period, class T>
Task<T> with_timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  return with_deadline(detail::deadline_after(d), std::move(task));
}

}  // namespace skein
