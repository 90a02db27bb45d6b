// BlockingPool: threads that run spawn_blocking jobs, so workers never block.
//
// Jobs wait in a FIFO under a mutex. A job is handed to an idle thread if
// there is one; otherwise a new thread starts, up to `max_threads` (after
// that jobs queue). A thread idle for `keep_alive` exits. Finishing a job runs
// the join protocol (publish_done) and schedules the task awaiting it.
//
// THREAD SAFETY: submit and the getters from any thread; shutdown once, from a
// thread that is not a pool thread. Everything shared is under `mutex_`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include "skein/detail/task_header.hpp"

namespace skein::detail {

class BlockingPool {
 public:
  BlockingPool(std::size_t max_threads, std::chrono::milliseconds keep_alive);
  ~BlockingPool();

  // Throws runtime_shutdown after shutdown().
  void submit(TaskHeader* job);
  // Stops accepting jobs, completes queued jobs that never started with a
  // runtime_shutdown error, waits for running jobs to finish. Returns how
  // many never started.
  std::size_t shutdown();

  std::size_t thread_count() const;
  std::size_t idle_count() const;

 private:
  void thread_main();

  const std::size_t max_threads_;
  const std::chrono::milliseconds keep_alive_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  std::deque<TaskHeader*> jobs_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace skein::detail
