// Scheduler: the workers, the injection queue, the idle protocol, the blocking
// pool and shutdown. The public skein::Runtime is a thin owner of this.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/blocking_pool.hpp"
#include "runtime/idle.hpp"
#include "runtime/injection_queue.hpp"
#include "runtime/stats_server.hpp"
#include "runtime/task_registry.hpp"
#include "runtime/worker.hpp"
#include "skein/runtime.hpp"

namespace skein::detail {

class Scheduler {
 public:
  explicit Scheduler(const Options& options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const Options& options() const noexcept { return options_; }
  std::size_t worker_count() const noexcept { return workers_.size(); }
  Worker& worker(std::size_t i) noexcept { return *workers_[i]; }
  InjectionQueue& injection() noexcept { return injection_; }
  Idle& idle() noexcept { return idle_; }
  BlockingPool& blocking() noexcept { return blocking_; }
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // Entry points behind the functions in skein/detail/context.hpp.
  void submit_spawned(TaskHeader* t);
  void schedule(TaskHeader* t);
  void schedule_yield(TaskHeader* t);

  ShutdownReport shutdown();
  RuntimeStats stats() const;
  // The abstract socket skeinctl reads ("skein-<pid>"), or "" when off.
  std::string stats_socket_name() const { return stats_server_ ? stats_server_->name() : std::string(); }

 private:
  void schedule_pinned_remote(TaskHeader* t);
  void schedule_from(Worker& w, TaskHeader* t);  // on w's own thread
  void start_workers();
  std::size_t destroy_unfinished_tasks();

  Options options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  InjectionQueue injection_;
  Idle idle_;
  BlockingPool blocking_;
  std::vector<std::thread> threads_;

  std::atomic<bool> stopping_{false};
  std::mutex shutdown_mutex_;
  bool shut_down_ = false;  // guarded by shutdown_mutex_

  // Tasks spawned from threads that are not workers: their registry.
  std::mutex external_mutex_;
  TaskRegistry external_registry_;  // guarded by external_mutex_ (slots are cleared lock-free)
  std::atomic<std::uint64_t> external_ids_{0};

  std::unique_ptr<StatsServer> stats_server_;  // when Options::stats_socket
};

// Marks a finished task done (task_header.hpp: the finisher's fetch_or) and
// returns the task that awaited it, if any. An external waiter is woken here;
// a state whose handle is gone is freed here.
TaskHeader* publish_done(TaskHeader* t) noexcept;

}  // namespace skein::detail
