// ping_pong: two tasks pass a counter back and forth through two channels of
// capacity 1, `size` round trips. Every message wakes the other task, so this
// measures the suspend / wake-up / resume path of two tasks that wait for each
// other (on one worker: a local hand-off; on two: cross-worker wake-ups,
// possibly through a parked worker).
//
// There is no TBB equivalent (TBB tasks cannot wait for each other), so the
// comparator is what one writes without a runtime: two OS threads handing the
// counter over with a std::mutex and a std::condition_variable, both threads
// pinned to the first `workers` CPUs (workers:1 = both on one CPU).
#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/channel.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

skein::Task<std::int64_t> pong(skein::Channel<std::int64_t>& in, skein::Channel<std::int64_t>& out) {
  std::int64_t last = 0;
  while (auto v = co_await in.recv()) {
    last = *v;
    co_await out.send(last + 1);
  }
  co_return last;
}

skein::Task<std::int64_t> ping_pong(std::int64_t rounds) {
  skein::Channel<std::int64_t> to_pong(1), to_ping(1);
  auto partner = skein::spawn(pong(to_pong, to_ping));
  std::int64_t value = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await to_pong.send(value);
    value = *co_await to_ping.recv();
  }
  to_pong.close();
  co_await partner;  // the channels live in this frame: wait for pong to finish with them
  co_return value;
}

void pin_to_first_cpus(int cpus) {
  cpu_set_t allowed, set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  int taken = 0;
  for (int c = 0; c < CPU_SETSIZE && taken < cpus; ++c) {
    if (CPU_ISSET(c, &allowed)) {
      CPU_SET(c, &set);
      ++taken;
    }
  }
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Two threads, one counter: the thread whose turn it is increments it.
class ThreadPingPong {
 public:
  explicit ThreadPingPong(int cpus) : cpus_(cpus) {
    partner_ = std::thread([this] {
      pin_to_first_cpus(cpus_);
      std::unique_lock lock(mu_);
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
  std::mutex mu_;
  std::condition_variable cv_;
  bool pong_turn_ = false;
  bool stop_ = false;
  std::int64_t value_ = 0;
  std::thread partner_;
};

double ping_pong_tasks(long rounds) { return static_cast<double>(rounds); }

void ping_pong_skein(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t rounds = p.size;
  // Each round adds 1 in pong; the final value is the number of rounds.
  skein_bench::run_skein(state, p, [rounds] { return ping_pong(rounds); },
                         skein_bench::expect(rounds, "ping_pong final counter"));
}

void ping_pong_threads(benchmark::State& state, const skein_bench::Params& p) {
  const std::int64_t rounds = p.size;
  // The benchmark thread is pinned for the run and set free afterwards.
  cpu_set_t saved;
  const bool restore = sched_getaffinity(0, sizeof saved, &saved) == 0;
  pin_to_first_cpus(p.workers);
  {
    ThreadPingPong pp(p.workers);
    skein_bench::BusyCores busy;
    for (auto _ : state) {
      if (!skein_bench::expect_eq(state, pp.run(rounds), 2 * rounds, "ping_pong counter")) break;
    }
    busy.report(state);
  }
  if (restore) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
}

}  // namespace

SKEIN_BENCH_WORKLOAD(ping_pong) {
  return {.name = "ping_pong",
          .sizes = {20'000},
          .quick_sizes = {5'000},
          .tasks = ping_pong_tasks,
          .impls = {{"skein", ping_pong_skein}, {"threads", ping_pong_threads}}};
}
