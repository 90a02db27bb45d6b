// Helpers for the OS-thread baselines (the comparators of the workloads that
// TBB cannot express: tasks that wait for each other).
#pragma once

#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace skein_bench {

// The CPUs this process may use, as they were at start-up (before any
// baseline pinned a thread). Pinning is relative to this set, never to the
// calling thread's current mask: a thread created by a pinned thread inherits
// its narrowed mask, and "the second CPU" of a one-CPU mask does not exist
// (which once put both threads of ping_pong_pinned's baseline on one CPU).
inline const cpu_set_t kProcessCpus = [] {
  cpu_set_t s;
  CPU_ZERO(&s);
  if (sched_getaffinity(0, sizeof s, &s) != 0) CPU_SET(0, &s);
  return s;
}();

// Pins the calling thread to the first `cpus` CPUs this process may use, so a
// baseline with `workers:n` runs on n CPUs like skein's n workers.
inline void pin_to_first_cpus(int cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  int taken = 0;
  for (int c = 0; c < CPU_SETSIZE && taken < cpus; ++c) {
    if (CPU_ISSET(c, &kProcessCpus)) {
      CPU_SET(c, &set);
      ++taken;
    }
  }
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Pins the calling thread to the index-th CPU this process may use; false if
// there is no such CPU or the kernel refused.
inline bool pin_to_cpu(int index) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c = 0, seen = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &kProcessCpus) && seen++ == index) {
      CPU_SET(c, &set);
      return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    }
  }
  return false;
}

// Restores the calling thread's CPU affinity when it goes out of scope (the
// benchmark thread pins itself for a baseline run).
class AffinityRestore {
 public:
  AffinityRestore() : ok_(pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0) {}
  ~AffinityRestore() {
    if (ok_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
  }
  AffinityRestore(const AffinityRestore&) = delete;
  AffinityRestore& operator=(const AffinityRestore&) = delete;

 private:
  cpu_set_t saved_;
  bool ok_;
};

// The textbook bounded blocking queue: one std::mutex, two condition
// variables. The baseline of the channel workloads.
template <class T>
class BlockingQueue {
 public:
  explicit BlockingQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(T v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(v));
    not_empty_.notify_one();
  }
  // False once closed and drained.
  bool pop(T& out) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace skein_bench
