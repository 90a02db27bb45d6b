// Channel<T> under load: 4 producers x 4 consumers through capacities 0, 1,
// 1024 and unbounded. Every item is received exactly once (per-item counts,
// sum and total), also when the channel is closed in the middle of traffic.
// 1,000,000 items in release builds, scaled down under the sanitizers
// (skein_test::kStressScale).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "skein/channel.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "tests/sync/sync_test_util.hpp"

namespace {

using skein::Channel;
using skein::Task;

constexpr int kProducers = 4;
constexpr int kConsumers = 4;

struct Tally {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
};

struct Shared {
  explicit Shared(std::size_t cap, std::size_t n) : ch(cap), seen(n) {}
  Channel<std::uint64_t> ch;
  std::vector<std::atomic<std::uint8_t>> seen;  // how often each item arrived
  std::atomic<std::uint64_t> received{0};
  std::uint64_t close_at = 0;  // a consumer closes the channel after this many items (0: never)
};

// Sends its share [first, first + n); stops at the first send that fails
// because the channel was closed, and checks that the failed item came back.
Task<Tally> produce(Shared* s, std::uint64_t first, std::uint64_t n) {
  Tally t;
  for (std::uint64_t i = first; i < first + n; ++i) {
    try {
      co_await s->ch.send(i);
    } catch (skein::send_failed<std::uint64_t>& e) {
      EXPECT_EQ(e.value, i);
      co_return t;
    }
    ++t.count;
    t.sum += i;
  }
  co_return t;
}

Task<Tally> consume(Shared* s) {
  Tally t;
  while (auto v = co_await s->ch.recv()) {
    s->seen[*v].fetch_add(1, std::memory_order_relaxed);
    // Close from inside the traffic: producers are mid-send, consumers mid-recv.
    if (s->received.fetch_add(1, std::memory_order_relaxed) + 1 == s->close_at) s->ch.close();
    ++t.count;
    t.sum += *v;
  }
  co_return t;
}

// close_at_fraction == 0: close after all producers finished.
Task<void> run_traffic(std::size_t cap, std::uint64_t items, double close_at_fraction) {
  auto s = std::make_unique<Shared>(cap, items);
  s->close_at = static_cast<std::uint64_t>(items * close_at_fraction);
  std::vector<skein::JoinHandle<Tally>> producers, consumers;
  for (int c = 0; c < kConsumers; ++c) consumers.push_back(skein::spawn(consume(s.get())));
  const std::uint64_t share = items / kProducers;
  for (int p = 0; p < kProducers; ++p) producers.push_back(skein::spawn(produce(s.get(), p * share, share)));

  Tally sent;
  for (auto& h : producers) {
    Tally t = co_await h;
    sent.count += t.count;
    sent.sum += t.sum;
  }
  if (close_at_fraction == 0) {
    EXPECT_EQ(sent.count, share * kProducers);
    s->ch.close();
  }
  Tally got;
  for (auto& h : consumers) {
    Tally t = co_await h;
    got.count += t.count;
    got.sum += t.sum;
  }
  EXPECT_EQ(got.count, sent.count) << "capacity " << cap;
  EXPECT_EQ(got.sum, sent.sum) << "capacity " << cap;
  // Exactly once: producers send their items in order, so the sent set is a
  // prefix of each producer's range.
  std::uint64_t once = 0, dup = 0;
  for (auto& c : s->seen) {
    auto n = c.load();
    once += n == 1;
    dup += n > 1;
  }
  EXPECT_EQ(dup, 0u);
  EXPECT_EQ(once, sent.count);
  // Bounded channels hold producers back, so the close surely cut traffic
  // (unbounded producers may legitimately have finished already).
  if (close_at_fraction > 0 && cap != Channel<int>::kUnbounded)
    EXPECT_LT(sent.count, items) << "close came after all the traffic";
}

class ChannelStress : public ::testing::TestWithParam<std::size_t> {};

std::uint64_t items_for(std::size_t) { return skein_test::scaled(1'000'000); }

TEST_P(ChannelStress, FourByFourEveryItemExactlyOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on(run_traffic(GetParam(), items_for(GetParam()), 0));
}

TEST_P(ChannelStress, FourByFourCloseInTheMiddleOfTraffic) {
  skein::Runtime rt(skein::Options{.workers = 2});
  rt.block_on(run_traffic(GetParam(), items_for(GetParam()), 0.5));
}

INSTANTIATE_TEST_SUITE_P(Capacities, ChannelStress,
                         ::testing::Values(std::size_t{0}, std::size_t{1}, std::size_t{1024},
                                           Channel<int>::kUnbounded),
                         [](const auto& info) {
                           return info.param == Channel<int>::kUnbounded ? std::string("unbounded")
                                                                        : "cap" + std::to_string(info.param);
                         });

}  // namespace
