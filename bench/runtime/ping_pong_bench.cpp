// ping_pong: two tasks pass a counter back and forth through two channels of
// capacity 1, `size` round trips. Every message wakes the other task, so this
// measures the suspend / wake-up / resume path of two tasks that wait for each
// other. In `ping_pong` the scheduler places them (a woken task is queued on
// the waker's worker, so they tend to share one); in `ping_pong_pinned` they
// are pinned to different workers and every message is a cross-worker
// wake-up; `channel_rendezvous` is `ping_pong` over channels of capacity 0.
//
// There is no TBB equivalent (TBB tasks cannot wait for each other), so the
// comparator is what one writes without a runtime: two OS threads handing the
// counter over with a std::mutex and a std::condition_variable, both threads
// pinned to the first `workers` CPUs (workers:1 = both on one CPU).
#include <condition_variable>
#include <mutex>
#include <thread>

#include "registry.hpp"
#include "runners.hpp"
#include "threads.hpp"
#include "skein/channel.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

using skein_bench::pin_to_cpu;
using skein_bench::pin_to_first_cpus;

skein::Task<std::int64_t> pong(skein::Channel<std::int64_t>& in, skein::Channel<std::int64_t>& out) {
  std::int64_t last = 0;
  while (auto v = co_await in.recv()) {
    last = *v;
    co_await out.send(last + 1);
  }
  co_return last;
}

skein::Task<std::int64_t> ping(skein::Channel<std::int64_t>& out, skein::Channel<std::int64_t>& in,
                               std::int64_t rounds) {
  std::int64_t value = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await out.send(value);
    value = *co_await in.recv();
  }
  out.close();
  co_return value;
}

// Where the two sides run.
enum class Placement {
  free,   // ping is the root task, pong is spawned: the scheduler decides
  apart,  // ping pinned to worker 0, pong to the last worker (spawn_on)
};

// `rounds` round trips through two channels of capacity `capacity` (0:
// rendezvous). Returns the counter, which pong raised once per round.
skein::Task<std::int64_t> ping_pong(std::int64_t rounds, std::size_t capacity, Placement where, int workers) {
  skein::Channel<std::int64_t> to_pong(capacity), to_ping(capacity);
  if (where == Placement::free) {
    auto partner = skein::spawn(pong(to_pong, to_ping));
    const std::int64_t value = co_await ping(to_pong, to_ping, rounds);
    co_await partner;  // the channels live in this frame: wait for pong to finish with them
    co_return value;
  }
  auto partner = skein::spawn_on(static_cast<std::size_t>(workers - 1), pong(to_pong, to_ping));
  auto pinger = skein::spawn_on(0, ping(to_pong, to_ping, rounds));
  const std::int64_t value = co_await pinger;
  co_await partner;
  co_return value;
}

// Two threads, one counter: the thread whose turn it is increments it.
// Free: both threads may run on the first `cpus` CPUs; pinned apart: the
// partner on the cpus-th CPU (the caller pins itself to the first).
class ThreadPingPong {
 public:
  ThreadPingPong(int cpus, bool apart) : cpus_(cpus), apart_(apart) {
    partner_ = std::thread([this] {
      bool pinned = true;
      if (apart_) pinned = pin_to_cpu(cpus_ - 1);
      else pin_to_first_cpus(cpus_);
      std::unique_lock lock(mu_);
      partner_pinned_ = pinned;
      partner_ready_ = true;
      cv_.notify_all();
      for (;;) {
        cv_.wait(lock, [this] { return pong_turn_ || stop_; });
        if (stop_) return;
        ++value_;
        pong_turn_ = false;
        cv_.notify_all();
      }
    });
  }
  ~ThreadPingPong() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    partner_.join();
  }

  // Whether the partner thread got the CPU it was meant for (waits for it
  // to have tried).
  bool partner_pinned() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return partner_ready_; });
    return partner_pinned_;
  }

  // Runs on the benchmark thread (pinned by the caller).
  std::int64_t run(std::int64_t rounds) {
    std::unique_lock lock(mu_);
    value_ = 0;
    for (std::int64_t i = 0; i < rounds; ++i) {
      ++value_;
      pong_turn_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !pong_turn_; });
    }
    return value_;
  }

 private:
  int cpus_;
  bool apart_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pong_turn_ = false;
  bool stop_ = false;
  bool partner_ready_ = false;
  bool partner_pinned_ = false;
  std::int64_t value_ = 0;
  std::thread partner_;
};

template <std::size_t Capacity, Placement Where>
void ping_pong_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t rounds = p.size;
  const int workers = p.workers;
  skein_bench::run_skein(state, p, [rounds, workers] { return ping_pong(rounds, Capacity, Where, workers); },
                         skein_bench::expect(rounds, "ping_pong final counter"));
}

template <Placement Where>
void ping_pong_threads(benchmark::State& state, const skein_bench::Params& p) {
  const bool apart = Where == Placement::apart;
  const std::int64_t rounds = p.size;
  skein_bench::AffinityRestore restore;  // the benchmark thread is pinned for this run only
  if (apart) pin_to_cpu(0);
  else pin_to_first_cpus(p.workers);
  ThreadPingPong pp(p.workers, apart);
  if (apart && !pp.partner_pinned()) {
    state.SkipWithError("could not pin the partner thread to its own CPU");
    return;
  }
  skein_bench::BusyCores busy;
  for (auto _ : state) {
    if (!skein_bench::expect_eq(state, pp.run(rounds), 2 * rounds, "ping_pong counter")) break;
  }
  busy.report(state);
}

}  // namespace

SKEIN_BENCH_WORKLOAD(ping_pong) {
  return {.name = "ping_pong",
          .sizes = {20'000},
          .quick_sizes = {5'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", ping_pong_skein<1, Placement::free>}, {"threads", ping_pong_threads<Placement::free>}}};
}

// The same with the two sides pinned to different workers / CPUs (the same
// one when workers:1): every message crosses cores, through the pinned
// worker's inbox and, when it sleeps, its wake-up.
SKEIN_BENCH_WORKLOAD(ping_pong_pinned) {
  return {.name = "ping_pong_pinned",
          .sizes = {20'000},
          .quick_sizes = {5'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", ping_pong_skein<1, Placement::apart>}, {"threads", ping_pong_threads<Placement::apart>}}};
}

// ping_pong through rendezvous channels (capacity 0: every send waits for
// its receiver). The baseline is the same mutex/condvar hand-off: the
// standard library has no rendezvous queue.
SKEIN_BENCH_WORKLOAD(channel_rendezvous) {
  return {.name = "channel_rendezvous",
          .sizes = {20'000},
          .quick_sizes = {5'000},
          .tasks = skein_bench::per_unit,
          .impls = {{"skein", ping_pong_skein<0, Placement::free>}, {"threads", ping_pong_threads<Placement::free>}}};
}
