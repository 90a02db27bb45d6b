// Interval: the grid arithmetic around sleep_until.
#include "skein/interval.hpp"

#include <stdexcept>

namespace skein {

Interval::Interval(Clock::time_point start, Clock::duration period, MissedTicks missed)
    : next_(start), period_(period), missed_(missed) {
  if (period <= Clock::duration::zero()) throw std::invalid_argument("skein::Interval: the period must be positive");
}

Task<Clock::time_point> Interval::tick() {
  const Clock::time_point scheduled = next_;
  co_await sleep_until(scheduled);  // cancelled: nothing has changed
  const Clock::time_point now = Clock::now();
  next_ = scheduled + period_;
  if (now >= next_) {  // a whole period late: this tick comes now, then...
    switch (missed_) {
      case MissedTicks::burst:
        break;  // ...every missed one, back to back
      case MissedTicks::skip:
        next_ += period_ * ((now - next_) / period_ + 1);  // ...the next grid point ahead
        break;
      case MissedTicks::delay:
        next_ = now + period_;  // ...a period from now, on a new grid
        break;
    }
  }
  co_return scheduled;
}

}  // namespace skein
