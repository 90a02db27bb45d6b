// Channels (skein::Channel) against the textbook baseline, a bounded queue
// with one std::mutex and two condition variables between OS threads
// (bench/threads.hpp), both on the first `workers` CPUs.
//
// channel_spsc        one producer task sends `size` integers through a
//                     channel of capacity 1024 to one consumer task: the
//                     buffered fast path, and how often a full or empty
//                     buffer makes a side suspend.
// channel_mpmc        4 producers and 4 consumers share one channel of
//                     capacity 1024, `size` items in all: contention on the
//                     channel's lock and on the wake-ups.
// (channel_rendezvous, ping_pong over channels of capacity 0, lives with
// ping_pong in bench/runtime/ping_pong_bench.cpp.)
#include <thread>
#include <vector>

#include "registry.hpp"
#include "runners.hpp"
#include "threads.hpp"
#include "skein/channel.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

using skein_bench::BlockingQueue;

constexpr std::size_t kCapacity = 1024;
constexpr int kProducers = 4;
constexpr int kConsumers = 4;

std::int64_t sum_below(std::int64_t n) { return n * (n - 1) / 2; }

// ---- skein ----

// Sends first, first + 1, ..., first + count - 1.
skein::Task<std::int64_t> produce(skein::Channel<std::int64_t>& ch, std::int64_t first, std::int64_t count) {
  for (std::int64_t i = first; i < first + count; ++i) co_await ch.send(i);
  co_return count;
}

skein::Task<std::int64_t> consume(skein::Channel<std::int64_t>& ch) {
  std::int64_t sum = 0;
  while (auto v = co_await ch.recv()) sum += *v;
  co_return sum;
}

// `producers` tasks send the integers 0 .. n-1 between them to `consumers`
// tasks; returns the sum the consumers received.
skein::Task<std::int64_t> channel_run(std::int64_t n, int producers, int consumers) {
  skein::Channel<std::int64_t> ch(kCapacity);
  std::vector<skein::JoinHandle<std::int64_t>> receivers, senders;
  for (int c = 0; c < consumers; ++c) receivers.push_back(skein::spawn(consume(ch)));
  const std::int64_t share = n / producers;
  for (int p = 0; p < producers; ++p) senders.push_back(skein::spawn(produce(ch, p * share, share)));
  for (auto& s : senders) co_await s;
  ch.close();
  std::int64_t sum = 0;
  for (auto& r : receivers) sum += co_await r;
  co_return sum;
}

// ---- threads ----

std::int64_t queue_run(std::int64_t n, int producers, int consumers) {
  BlockingQueue<std::int64_t> q(kCapacity);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(consumers));
  std::vector<std::thread> receivers, senders;
  for (int c = 0; c < consumers; ++c)
    receivers.emplace_back([&q, &sums, c] {
      std::int64_t v = 0, sum = 0;
      while (q.pop(v)) sum += v;
      sums[static_cast<std::size_t>(c)] = sum;
    });
  const std::int64_t share = n / producers;
  for (int p = 0; p < producers; ++p)
    senders.emplace_back([&q, p, share] {
      for (std::int64_t i = p * share; i < (p + 1) * share; ++i) q.push(i);
    });
  for (auto& t : senders) t.join();
  q.close();
  for (auto& t : receivers) t.join();
  std::int64_t sum = 0;
  for (auto s : sums) sum += s;
  return sum;
}

// ---- registration ----

template <int Producers, int Consumers>
void skein_channel(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size / Producers * Producers;
  skein_bench::run_skein(state, p, [n] { return channel_run(n, Producers, Consumers); },
                         skein_bench::expect(sum_below(n), "sum received"));
}

template <int Producers, int Consumers>
void threads_channel(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t n = p.size / Producers * Producers;
  skein_bench::run_threads(state, p, [n] { return queue_run(n, Producers, Consumers); },
                           skein_bench::expect(sum_below(n), "sum received"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(channel_spsc) {
  return {.name = "channel_spsc",
          .sizes = {10'000'000},
          .quick_sizes = {200'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", skein_channel<1, 1>}, {"threads", threads_channel<1, 1>}}};
}

SKEIN_BENCH_WORKLOAD(channel_mpmc) {
  return {.name = "channel_mpmc",
          .sizes = {1'000'000},
          .quick_sizes = {100'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", skein_channel<kProducers, kConsumers>},
                    {"threads", threads_channel<kProducers, kConsumers>}}};
}
