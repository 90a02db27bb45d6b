// Worker: one scheduler thread, its queues and its run loop.
//
// Where a worker finds its next task (next_task, then search):
//   - every `global_queue_interval` polls (a "tick"): its pinned tasks and the
//     injection queue first, so that a busy deque cannot starve them; it also
//     reaps I/O events. (The deque itself is newest-first on purpose: in
//     fork-join code that is depth-first order and bounded memory. Its oldest
//     tasks are what idle workers steal.)
//   - the LIFO slot (the task most recently spawned or woken here), at most
//     3 polls in a row; after that the slot's task goes into the deque, where
//     thieves can take it;
//   - its I/O-ready list (FIFO): the tasks its own ring woke (see below);
//   - its deque (newest first), then its pinned tasks, then its inbox, then
//     its yield queue (FIFO: a yield goes to the back of the line), then the
//     injection queue;
//   - searching (idle.hpp): steal half of a random victim's deque (or of its
//     yield queue), the injection queue; then it parks.
//
// I/O-READY TASKS are not stealable. A task woken by a completion on this
// worker's ring would, if stolen, issue its next operation on the thief's
// ring, so its next completion wakes the thief instead: with a few dozen
// connections two workers then keep waking and parking each other (echo, 64
// connections, 2 workers: 26k parks per worker per second, server CPU per
// message 4.4 us against 3.4 us for a thread-per-core epoll server). Kept
// here, connections stay on the ring that serves them, as in a thread-per-
// core server. Balance comes from spawning (new tasks are stealable) and
// from a valve: when the list stayed non-empty for a whole tick (the worker
// is behind), the older half moves to the deque, where idle workers steal it.
//
// THREAD SAFETY: everything here is owner-only except `queue()` (thieves
// steal), `push_inbox` and `parker()->unpark()` (any thread), and the stats
// (written by the owner with relaxed stores, read by anyone).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/injection_queue.hpp"
#include "runtime/local_queue.hpp"
#include "runtime/parker.hpp"
#include "runtime/task_registry.hpp"
#include "skein/detail/task_header.hpp"
#include "skein/stats.hpp"

namespace skein::detail {

class Scheduler;

// A counter written by one thread (relaxed load+store, no RMW) and read by
// any (a relaxed snapshot).
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct alignas(128) WorkerCounters {
  Counter polls, spawned, completed, lifo_polls, stolen, steal_attempts, injection_polls, overflows, yields, parks;
};

class Worker {
 public:
  Worker(Scheduler& s, std::size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // On the worker's thread, before run(): creates its parker.
  void init_on_thread();
  // The thread body: runs tasks until the scheduler stops.
  void run();

  std::size_t index() const noexcept { return index_; }
  LocalQueue& queue() noexcept { return queue_; }
  Parker* parker() noexcept { return parker_.get(); }
  WorkerCounters& counters() noexcept { return counters_; }

  // Owner only.
  void schedule_local(TaskHeader* t);   // spawned or woken here: the LIFO slot
  void schedule_pinned(TaskHeader* t);  // a task pinned to this worker
  void schedule_yield(TaskHeader* t);   // the back of the line
  std::uint64_t next_task_id() noexcept { return (std::uint64_t(index_ + 1) << 40) | ++task_ids_; }

  // Any thread: a task pinned to this worker, scheduled from elsewhere.
  void push_inbox(TaskHeader* t);
  bool inbox_has_work() const noexcept { return inbox_size_.load(std::memory_order_seq_cst) > 0; }

  // Owner only (and shutdown, after the thread is joined).
  TaskRegistry& registry() noexcept { return registry_; }

  void fill_stats(WorkerStats& out) const;

 private:
  TaskHeader* next_task();
  TaskHeader* on_tick();
  TaskHeader* search();
  TaskHeader* take_from_injection();
  TaskHeader* take_pinned();
  TaskHeader* take_yielded();
  void found_work_while_searching();
  void park();
  bool any_work_visible() const;
  void run_task(TaskHeader* t);
  void push_to_deque(TaskHeader* t);
  [[gnu::noinline]] void push_to_full_deque(TaskHeader* t);  // the spill: rare
  TaskHeader* take_io_ready();
  void release_io_backlog();
  std::size_t random_index(std::size_t n) noexcept;

  Scheduler& sched_;
  const std::size_t index_;
  LocalQueue queue_;
  LocalQueue yielded_;  // yielded tasks: everybody, the owner too, takes from the top (FIFO)
  std::unique_ptr<Parker> parker_;
  InjectionQueue::ProducerToken producer_;
  InjectionQueue::ConsumerToken consumer_;

  TaskHeader* lifo_ = nullptr;
  int lifo_streak_ = 0;
  std::deque<TaskHeader*> io_ready_;  // woken by our own ring (IoParker::resume); owner only
  bool io_ready_drained_ = true;      // io_ready_ emptied since the last tick
  bool io_ready_backlog_ = false;     // io_ready_ was non-empty at the last tick
  std::deque<TaskHeader*> pinned_;  // runnable tasks pinned here
  std::uint32_t ticks_to_maintenance_ = 1;
  bool searching_ = false;
  std::uint64_t rng_;
  std::uint64_t task_ids_ = 0;

  TaskRegistry registry_;  // tasks spawned here that have not finished
  std::vector<TaskHeader*> spill_;  // reused by push_to_deque when the deque is full

  alignas(64) std::mutex inbox_mutex_;
  std::vector<TaskHeader*> inbox_;  // guarded by inbox_mutex_
  std::atomic<std::size_t> inbox_size_{0};

  WorkerCounters counters_;
};

}  // namespace skein::detail
