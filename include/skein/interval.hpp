// Interval: a periodic tick for heartbeats, flushes and polls.
//
//   skein::Interval every(1s);                 // first tick at once, then every second
//   for (;;) {
//     co_await every.tick();
//     co_await flush_metrics();
//   }
//
// Ticks are on a fixed grid (start, start + period, ...), so the work's own
// duration does not make them drift. When the task falls behind by at least a
// whole period (the work took longer, the worker was busy), the late tick
// comes at once and `MissedTicks` says what follows it:
//   skip   (default) the next tick is the next grid point still ahead: the
//          missed ones are dropped (Go's time.Ticker);
//   burst  every missed tick comes, back to back, until it has caught up
//          (Tokio's default);
//   delay  the grid restarts from now: the next tick is one period later.
// tick() is a sleep (cancellable; it never returns early) and returns the
// tick's scheduled time. One task at a time may await tick().
#pragma once

#include <chrono>

#include "skein/task.hpp"
#include "skein/time.hpp"

namespace skein {

enum class MissedTicks { skip, burst, delay };

class Interval {
 public:
  // The first tick is at `start`, then every `period` (> 0, else
  // std::invalid_argument).
  Interval(Clock::time_point start, Clock::duration period, MissedTicks missed = MissedTicks::skip);
  explicit Interval(Clock::duration period, MissedTicks missed = MissedTicks::skip)
      : Interval(Clock::now(), period, missed) {}
  template <class Rep, class Period>
  explicit Interval(std::chrono::duration<Rep, Period> period, MissedTicks missed = MissedTicks::skip)
      : Interval(std::chrono::ceil<Clock::duration>(period), missed) {}

  // co_await: waits for the next tick; returns its scheduled time.
  Task<Clock::time_point> tick();

  // The next tick one period from now (the grid moves there).
  void reset() { next_ = Clock::now() + period_; }

  Clock::duration period() const noexcept { return period_; }
  Clock::time_point next_tick() const noexcept { return next_; }
  MissedTicks missed_ticks() const noexcept { return missed_; }

 private:
  Clock::time_point next_;
  Clock::duration period_;
  MissedTicks missed_;
};

}  // namespace skein
