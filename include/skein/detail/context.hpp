// What the current thread is running, and the scheduling entry points that
// awaitables (sync/, io/) use to suspend and wake tasks.
#pragma once

#include <coroutine>
#include <cstddef>
#include <stdexcept>

#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/task_header.hpp"

namespace skein::detail {

class Worker;

struct ThreadContext {
  Worker* worker;        // the worker this thread is, or null
  Scheduler* scheduler;  // its scheduler, or null
  TaskHeader* current;   // the spawned task being run, or null
  int budget;            // cooperative budget left in this poll
  int worker_index;      // meaningful only when worker != null
  bool waking_from_io;   // IoParker::resume is scheduling a task (see Worker::schedule_local)
};

// constinit and trivially destructible: accessed as a plain TLS load.
constinit inline thread_local ThreadContext tls_context{};

inline TaskHeader* current_task() noexcept { return tls_context.current; }

// Records that the running task suspends at `h` and returns it, for an
// awaitable to hand to schedule() later. Throws when no skein task is running
// on this thread (a coroutine resumed by hand outside the runtime).
inline TaskHeader* suspend_current(std::coroutine_handle<> h) {
  TaskHeader* t = tls_context.current;
  if (!t) throw std::logic_error("skein: this awaitable can only be awaited inside a task run by a skein::Runtime");
  t->resume_point = h;
  return t;
}

// Cooperative budget. An awaitable whose result is already available calls
// this in await_ready; false means the task has used its budget and must
// suspend and go to the back of the queue (reschedule_yield) instead.
inline bool coop_consume() noexcept {
  ThreadContext& c = tls_context;
  if (c.budget > 0) [[likely]] {
    --c.budget;
    return true;
  }
  return c.worker == nullptr;  // outside the runtime nothing is starved
}

// Whether coop_consume() would let the task go on, without consuming.
inline bool coop_has_budget() noexcept {
  const ThreadContext& c = tls_context;
  return c.budget > 0 || c.worker == nullptr;
}

// Makes a suspended task runnable. Any thread. On the task's own worker it
// goes to the local queue; elsewhere to the injection queue (or the pinned
// worker's inbox) and a parked worker is woken if needed.
void schedule(TaskHeader* t);

// Puts the running task at the back of the queue (yield, budget exhausted).
void schedule_yield(TaskHeader* t);

// co_await: back of the queue (skein::yield, and a budget paid before an
// acquisition). A yield is a suspension point: a cancelled task stops here.
struct YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { schedule_yield(suspend_current(h)); }
  void await_resume() const { throw_if_cancelled(current_task()); }
};

// The budget rule for an awaitable whose operation can complete in
// await_ready: with budget left the task goes on at once; without, the
// operation stays done but the task owes one yield, paid in await_suspend.
class OwedYield {
 public:
  // In await_ready, once the operation completed: true = go on now.
  bool go_on_now() noexcept {
    if (coop_consume()) return true;
    owed_ = true;
    return false;
  }
  // First in await_suspend: true if this suspension is the owed yield (the
  // task is already queued at the back; await_suspend returns true).
  bool pay(TaskHeader* me) {
    if (!owed_) return false;
    schedule_yield(me);
    return true;
  }

 private:
  bool owed_ = false;
};

// Registers and schedules a newly spawned task. Throws runtime_shutdown after
// shutdown began and std::logic_error when there is no runtime.
void submit_spawned(Scheduler& s, TaskHeader* t);

// Queues a spawn_blocking job on the blocking pool.
void submit_blocking(Scheduler& s, TaskHeader* t);

// Finishes a spawned task (called from its final_suspend after the frame is
// gone): publishes kDone, and returns the joiner to resume next, or a noop.
std::coroutine_handle<> complete_spawned(TaskHeader* t) noexcept;

[[noreturn]] void throw_no_runtime(const char* what);

// The scheduler of the calling worker thread; throws std::logic_error naming
// `what` when the thread is not a skein worker.
inline Scheduler& scheduler_of_this_thread(const char* what) {
  if (Scheduler* s = tls_context.scheduler) [[likely]]
    return *s;
  throw_no_runtime(what);
}

std::size_t worker_count(const Scheduler& s) noexcept;

}  // namespace skein::detail
