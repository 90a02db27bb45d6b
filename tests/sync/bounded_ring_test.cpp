// detail::BoundedRing<T>, the lock-free buffer of bounded channels: FIFO and
// full/empty at odd capacities, close, the diversion bits, and producers vs
// consumers on OS threads with exact counts.
#include "skein/detail/bounded_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::detail::BoundedRing;
using Push = BoundedRing<std::int64_t>::Push;
using Pop = BoundedRing<std::int64_t>::Pop;

class RingCapacities : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RingCapacities, FifoFullAndEmptyOverManyLaps) {
  const std::size_t cap = GetParam();
  BoundedRing<std::int64_t> ring(cap);
  std::int64_t next_in = 0, next_out = 0;
  for (int lap = 0; lap < 5; ++lap) {
    for (std::size_t i = 0; i < cap; ++i) {
      std::int64_t v = next_in;
      ASSERT_EQ(ring.try_push(v), Push::ok);
      ++next_in;
    }
    EXPECT_EQ(ring.size(), cap);
    std::int64_t extra = -1;
    EXPECT_EQ(ring.try_push(extra), Push::full);
    EXPECT_EQ(extra, -1);  // not moved from
    // Drain part of it, then refill, so head and tail sit at every offset.
    for (std::size_t i = 0; i < cap / 2 + 1; ++i) {
      std::optional<std::int64_t> out;
      ASSERT_EQ(ring.try_pop(out), Pop::ok);
      EXPECT_EQ(out, next_out++);
    }
    while (next_out < next_in) {
      std::optional<std::int64_t> out;
      ASSERT_EQ(ring.try_pop(out), Pop::ok);
      EXPECT_EQ(out, next_out++);
    }
    std::optional<std::int64_t> none;
    EXPECT_EQ(ring.try_pop(none), Pop::empty);
    EXPECT_FALSE(none.has_value());
    EXPECT_EQ(ring.size(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Odd, RingCapacities, ::testing::Values(1, 2, 3, 5, 7, 8, 1000, 1024));

TEST(BoundedRing, CloseFailsPushesAndDrainsWhatIsQueued) {
  BoundedRing<std::int64_t> ring(3);
  std::int64_t a = 1, b = 2;
  ASSERT_EQ(ring.try_push(a), Push::ok);
  ASSERT_EQ(ring.try_push(b), Push::ok);
  EXPECT_TRUE(ring.close());
  EXPECT_FALSE(ring.close());
  EXPECT_TRUE(ring.closed());
  std::int64_t c = 3;
  EXPECT_EQ(ring.try_push(c), Push::closed);
  std::optional<std::int64_t> out;
  EXPECT_EQ(ring.try_pop(out), Pop::ok);
  EXPECT_EQ(out, 1);
  out.reset();
  EXPECT_EQ(ring.try_pop(out), Pop::ok);
  EXPECT_EQ(out, 2);
  out.reset();
  EXPECT_EQ(ring.try_pop(out), Pop::closed);
  EXPECT_FALSE(out.has_value());
}

TEST(BoundedRing, DivertIfEmptyStopsLockFreePushesUntilUndiverted) {
  BoundedRing<std::int64_t> ring(4);
  std::int64_t v = 7;
  ASSERT_EQ(ring.try_push(v), Push::ok);
  EXPECT_FALSE(ring.divert_if_empty());  // not empty
  std::optional<std::int64_t> out;
  ASSERT_EQ(ring.try_pop(out), Pop::ok);
  EXPECT_TRUE(ring.divert_if_empty());
  std::int64_t w = 8;
  EXPECT_EQ(ring.try_push(w), Push::diverted);
  EXPECT_EQ(ring.try_push(w, /*as_lock_holder=*/true), Push::ok);  // lock holders still push
  out.reset();
  EXPECT_EQ(ring.try_pop(out), Pop::ok);  // consumers are not diverted by an empty ring
  EXPECT_EQ(out, 8);
  ring.undivert();
  std::int64_t x = 9;
  EXPECT_EQ(ring.try_push(x), Push::ok);
}

TEST(BoundedRing, DivertIfFullStopsBothSidesUntilUndiverted) {
  BoundedRing<std::int64_t> ring(2);
  std::int64_t a = 1, b = 2, c = 3;
  ASSERT_EQ(ring.try_push(a), Push::ok);
  EXPECT_FALSE(ring.divert_if_full());  // not full
  std::int64_t z = 0;
  EXPECT_EQ(ring.try_push(z), Push::ok);  // and the failed diversion left nothing behind
  std::optional<std::int64_t> out;
  ASSERT_EQ(ring.try_pop(out), Pop::ok);
  ASSERT_EQ(ring.try_push(b), Push::ok);
  EXPECT_TRUE(ring.divert_if_full());
  EXPECT_EQ(ring.try_push(c), Push::diverted);
  out.reset();
  EXPECT_EQ(ring.try_pop(out), Pop::diverted);
  EXPECT_FALSE(out.has_value());
  EXPECT_EQ(ring.try_pop(out, /*as_lock_holder=*/true), Pop::ok);
  EXPECT_EQ(out, 0);
  EXPECT_EQ(ring.try_push(c, /*as_lock_holder=*/true), Push::ok);  // the freed slot
  ring.undivert();
  for (std::int64_t expect : {2, 3}) {
    out.reset();
    ASSERT_EQ(ring.try_pop(out), Pop::ok);
    EXPECT_EQ(out, expect);
  }
}

TEST(BoundedRing, DestroysItemsStillQueued) {
  auto counter = std::make_shared<int>(0);
  {
    BoundedRing<std::shared_ptr<int>> ring(5);
    for (int i = 0; i < 4; ++i) {
      auto p = counter;
      ASSERT_EQ(ring.try_push(p), BoundedRing<std::shared_ptr<int>>::Push::ok);
    }
    std::optional<std::shared_ptr<int>> out;
    ASSERT_EQ(ring.try_pop(out), BoundedRing<std::shared_ptr<int>>::Pop::ok);
    EXPECT_EQ(counter.use_count(), 5);  // 3 in the ring, 1 in out, 1 here
  }
  EXPECT_EQ(counter.use_count(), 1);
}

// 2 producers and 2 consumers on OS threads, capacity 5 (not a power of two):
// every item arrives exactly once and each producer's items arrive in order.
TEST(BoundedRing, ProducersAndConsumersExactlyOnceInOrder) {
  constexpr int kProducers = 2, kConsumers = 2;
  const std::int64_t per_producer = static_cast<std::int64_t>(skein_test::scaled(200'000));
  BoundedRing<std::int64_t> ring(5);
  std::atomic<int> producers_left{kProducers};
  std::vector<std::int64_t> sums(kConsumers, 0), counts(kConsumers, 0);
  std::atomic<bool> order_ok{true};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (std::int64_t i = 0; i < per_producer; ++i) {
        std::int64_t v = i * kProducers + p;  // producer p's i-th item
        while (ring.try_push(v) != Push::ok) std::this_thread::yield();
      }
      if (producers_left.fetch_sub(1) == 1) ring.close();
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&, c] {
      std::vector<std::int64_t> last(kProducers, -1);
      for (;;) {
        std::optional<std::int64_t> out;
        const Pop r = ring.try_pop(out);
        if (r == Pop::closed) break;
        if (r != Pop::ok) {
          std::this_thread::yield();
          continue;
        }
        const std::int64_t v = *out;
        const auto p = static_cast<std::size_t>(v % kProducers);
        if (v / kProducers <= last[p]) order_ok = false;
        last[p] = v / kProducers;
        sums[static_cast<std::size_t>(c)] += v;
        ++counts[static_cast<std::size_t>(c)];
      }
    });
  for (auto& t : threads) t.join();
  const std::int64_t n = per_producer * kProducers;
  EXPECT_EQ(counts[0] + counts[1], n);
  EXPECT_EQ(sums[0] + sums[1], n * (n - 1) / 2);
  EXPECT_TRUE(order_ok.load());
}

}  // namespace
