// skein::Runtime: a pool of worker threads running tasks.
//
//   skein::Runtime rt(skein::Options{.workers = 4});
//   int v = rt.block_on(main_task());
//
// One worker thread per core (by default: the CPUs this process may use,
// from sched_getaffinity and the cgroup CPU quota). Each worker runs tasks
// from its own deque, steals from the others when it runs dry and sleeps
// when there is nothing to do. See DESIGN in the README.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "skein/detail/context.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/stats.hpp"
#include "skein/task.hpp"

namespace skein {

struct Options {
  // Worker threads; 0 = the CPUs this process may use.
  std::size_t workers = 0;
  // Pin worker i to the i-th allowed CPU.
  bool pin_workers = false;
  // Capacity of each worker's local deque (rounded up to a power of two).
  std::size_t local_queue_capacity = 256;
  // Polls a task may complete without suspending before it must yield.
  int budget = 128;
  // A worker looks at the injection queue first every this many polls.
  int global_queue_interval = 61;
  // Threads for spawn_blocking: at most this many, idle ones exit after keep_alive.
  std::size_t max_blocking_threads = 512;
  std::chrono::milliseconds blocking_keep_alive{10'000};
  // Worker threads are named <prefix><index> (at most 15 characters in all).
  std::string thread_name_prefix = "skein-w";
  // Serve scheduler stats to skeinctl on the abstract unix socket
  // "@skein-<pid>" (also turned on by SKEIN_STATS=1 in the environment).
  bool stats_socket = false;
};

// What a shutdown could not finish. Every unfinished task was destroyed (its
// destructors ran, its handle throws runtime_shutdown); nothing was lost
// silently.
struct ShutdownReport {
  std::size_t unfinished_tasks = 0;         // spawned tasks that had not finished
  std::size_t unstarted_blocking_jobs = 0;  // spawn_blocking jobs that never ran
};

// The number of CPUs this process may use: its affinity mask, further limited
// by a cgroup v2 cpu.max quota when one is set. At least 1.
std::size_t available_cpus() noexcept;

class Runtime {
 public:
  explicit Runtime(Options options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs `task` on the workers and blocks the calling thread until it
  // finishes; returns its result or rethrows its exception. Must not be
  // called from a worker thread (that would block a worker): std::logic_error.
  template <class T>
  T block_on(Task<T> task) {
    if (detail::tls_context.worker)
      throw std::logic_error("skein::Runtime::block_on called from a worker thread; use co_await inside tasks");
    return spawn(std::move(task)).wait();
  }

  // Spawns from any thread.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return detail::spawn_into(scheduler(), std::move(task), detail::kNotPinned);
  }

  // Spawns pinned to worker `worker` from any thread.
  template <class T>
  JoinHandle<T> spawn_on(std::size_t worker, Task<T> task) {
    auto& s = scheduler();
    return detail::spawn_into(s, std::move(task), detail::checked_worker_index(s, worker));
  }

  // Stops accepting work, lets running tasks reach their next suspension
  // point, destroys the frames of unfinished tasks (their destructors run;
  // their handles then throw runtime_shutdown), waits for running blocking
  // jobs and joins every thread. Idempotent (a second call reports nothing);
  // the destructor calls it.
  ShutdownReport shutdown();

  std::size_t worker_count() const noexcept;
  RuntimeStats stats() const;
  // The abstract unix socket skeinctl reads ("skein-<pid>"), or "" when off.
  std::string stats_socket_name() const;

  detail::Scheduler& scheduler() const noexcept { return *scheduler_; }

 private:
  std::unique_ptr<detail::Scheduler> scheduler_;
};

}  // namespace skein
