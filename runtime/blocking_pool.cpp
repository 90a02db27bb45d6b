// BlockingPool: see blocking_pool.hpp.
#include "runtime/blocking_pool.hpp"

#include <pthread.h>

#include <thread>

#include "runtime/scheduler.hpp"
#include "skein/error.hpp"

namespace skein::detail {

namespace {
// A job's result is stored: publish it and wake the task awaiting it (not on a
// worker, so it is scheduled rather than resumed here).
void finish(TaskHeader* job) {
  if (TaskHeader* joiner = publish_done(job)) joiner->scheduler->schedule(joiner);
}
}  // namespace

BlockingPool::BlockingPool(std::size_t max_threads, std::chrono::milliseconds keep_alive)
    : max_threads_(max_threads), keep_alive_(keep_alive) {}

BlockingPool::~BlockingPool() { shutdown(); }

void BlockingPool::submit(TaskHeader* job) {
  std::unique_lock lock(mutex_);
  if (stopping_) throw runtime_shutdown("skein::spawn_blocking: the runtime is shut down");
  jobs_.push_back(job);
  if (idle_ > 0) {
    work_cv_.notify_one();
    return;
  }
  if (threads_ >= max_threads_) return;  // queued until a thread frees up
  ++threads_;
  lock.unlock();
  try {
    std::thread(&BlockingPool::thread_main, this).detach();
  } catch (...) {
    lock.lock();
    --threads_;
    if (threads_ == 0) {
      // No thread will ever run it: take it back and report.
      jobs_.pop_back();
      exit_cv_.notify_all();
      throw;
    }
  }
}

void BlockingPool::thread_main() {
  pthread_setname_np(pthread_self(), "skein-blocking");
  std::unique_lock lock(mutex_);
  for (;;) {
    if (jobs_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woke = work_cv_.wait_for(lock, keep_alive_, [&] { return !jobs_.empty() || stopping_; });
      --idle_;
      if (!woke) break;  // idle for keep_alive: exit
      continue;
    }
    TaskHeader* job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    job->run_blocking(job);
    finish(job);
    lock.lock();
  }
  --threads_;
  exit_cv_.notify_all();
  // Nothing touches the pool after the unlock that follows.
}

std::size_t BlockingPool::shutdown() {
  std::deque<TaskHeader*> never_started;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    never_started.swap(jobs_);
    work_cv_.notify_all();
    exit_cv_.wait(lock, [&] { return threads_ == 0; });
  }
  for (TaskHeader* job : never_started) {
    job->abort_result(job);
    finish(job);
  }
  return never_started.size();
}

std::size_t BlockingPool::thread_count() const {
  std::lock_guard lock(mutex_);
  return threads_;
}

std::size_t BlockingPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_;
}

}  // namespace skein::detail
