// Interval: the grid, never early, and the three missed-tick rules.
#include <chrono>
#include <stdexcept>
#include <vector>

#include "io_test_util.hpp"
#include "skein/interval.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"

using namespace std::chrono_literals;
using skein::Clock;
using skein::Interval;
using skein::MissedTicks;
using skein::Task;

namespace {
// Long enough that a loaded sanitizer run is not a whole period late by accident.
constexpr Clock::duration kPeriod = 40ms;

bool on_grid(Clock::time_point t, Clock::time_point t0) { return (t - t0) % kPeriod == Clock::duration::zero(); }
}  // namespace

TEST(Interval, TicksOnTheGridAndNeverEarly) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on([]() -> Task<void> {
    const auto t0 = Clock::now();
    Interval every(t0, kPeriod, MissedTicks::burst);  // exact grid even if a tick is late
    for (int k = 0; k < 5; ++k) {
      const auto scheduled = co_await every.tick();
      EXPECT_EQ(scheduled, t0 + k * kPeriod) << "tick " << k;
      EXPECT_GE(Clock::now(), scheduled) << "tick " << k << " came early";
      co_await skein::sleep_for(kPeriod / 4);  // work that takes less than a period: no drift
    }
  }());
}

// Late by more than two periods: the late tick comes at once, then...
TEST(Interval, SkipDropsTheMissedTicks) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    const auto t0 = Clock::now();
    Interval every(t0, kPeriod, MissedTicks::skip);
    EXPECT_EQ(co_await every.tick(), t0);
    co_await skein::sleep_for(kPeriod * 7 / 2);       // busy until t0 + 3.5 periods
    EXPECT_EQ(co_await every.tick(), t0 + kPeriod);   // late: at once
    const auto next = co_await every.tick();          // ...then the next grid point ahead
    EXPECT_TRUE(on_grid(next, t0));
    EXPECT_GE(next, t0 + 4 * kPeriod) << "ticks 2 and 3 were missed and must be dropped";
    EXPECT_GE(Clock::now(), next);
  }());
}

TEST(Interval, BurstDeliversEveryMissedTick) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    const auto t0 = Clock::now();
    Interval every(t0, kPeriod, MissedTicks::burst);
    EXPECT_EQ(co_await every.tick(), t0);
    co_await skein::sleep_for(kPeriod * 7 / 2);
    for (int k = 1; k <= 5; ++k) EXPECT_EQ(co_await every.tick(), t0 + k * kPeriod) << "tick " << k;
    EXPECT_GE(Clock::now(), t0 + 5 * kPeriod);
  }());
}

TEST(Interval, DelayRestartsTheGridFromNow) {
  skein::Runtime rt(skein::Options{.workers = 1});
  rt.block_on([]() -> Task<void> {
    const auto t0 = Clock::now();
    Interval every(t0, kPeriod, MissedTicks::delay);
    EXPECT_EQ(co_await every.tick(), t0);
    co_await skein::sleep_for(kPeriod * 7 / 2);
    EXPECT_EQ(co_await every.tick(), t0 + kPeriod);  // late: at once
    const auto late_seen = Clock::now();
    const auto next = co_await every.tick();
    EXPECT_GE(next, t0 + kPeriod * 7 / 2 + kPeriod) << "the next tick is a whole period after the late one";
    EXPECT_LE(next, late_seen + kPeriod);
    EXPECT_EQ(co_await every.tick(), next + kPeriod);  // on the new grid
  }());
}

TEST(Interval, ResetCancelAndMisuse) {
  EXPECT_THROW(Interval(0ms), std::invalid_argument);
  EXPECT_THROW(Interval(-5ms), std::invalid_argument);
  skein::Runtime rt(skein::Options{.workers = 2});
  Interval slow(Clock::now() + 30s, 30s);
  const auto before = slow.next_tick();
  auto waiting = rt.spawn(slow.tick());
  std::this_thread::sleep_for(10ms);
  waiting.cancel();
  EXPECT_THROW(waiting.wait(), skein::operation_canceled);
  EXPECT_EQ(slow.next_tick(), before) << "a cancelled tick moved the grid";
  Interval quick(Clock::now() - 1h, 5ms);  // a grid long past...
  const auto r0 = Clock::now();
  quick.reset();  // ...moved to a period from now
  const auto expected = quick.next_tick();
  EXPECT_GE(expected, r0 + 5ms);
  EXPECT_EQ(rt.block_on(quick.tick()), expected);
  EXPECT_GE(Clock::now(), expected);
}
