// Spawning tasks from inside the runtime.
//
//   auto h = skein::spawn(child());        // runs on any worker, may migrate
//   auto p = skein::spawn_local(actor());  // pinned to this worker forever
//   auto q = skein::spawn_on(1, actor());  // pinned to worker 1
//   co_await skein::yield();               // let the others run
//
// From a thread that is not a worker, use Runtime::spawn / Runtime::spawn_on.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/join_handle.hpp"
#include "skein/task.hpp"

namespace skein {

namespace detail {

inline constexpr std::int32_t kNotPinned = -1;

template <class T>
JoinHandle<T> spawn_into(Scheduler& s, Task<T> task, std::int32_t pinned_worker) {
  auto frame = task.release();
  auto* state = new SpawnState<T>();
  state->frame = frame;
  state->resume_point = frame;
  state->pinned_worker = pinned_worker;
  frame.promise().spawned = state;
  try {
    submit_spawned(s, state);
  } catch (...) {
    frame.destroy();
    delete state;
    throw;
  }
  return JoinHandle<T>(state);
}

inline std::int32_t checked_worker_index(const Scheduler& s, std::size_t worker) {
  if (worker >= worker_count(s))
    throw std::out_of_range("skein::spawn_on: worker " + std::to_string(worker) + " does not exist (the runtime has " +
                            std::to_string(worker_count(s)) + " workers)");
  return static_cast<std::int32_t>(worker);
}

}  // namespace detail

// Spawns `task` on the current runtime; it may run on any worker.
template <class T>
JoinHandle<T> spawn(Task<T> task) {
  return detail::spawn_into(detail::scheduler_of_this_thread("spawn"), std::move(task), detail::kNotPinned);
}

// Spawns `task` pinned to the calling worker: it never runs anywhere else.
template <class T>
JoinHandle<T> spawn_local(Task<T> task) {
  auto& s = detail::scheduler_of_this_thread("spawn_local");
  return detail::spawn_into(s, std::move(task), static_cast<std::int32_t>(detail::tls_context.worker_index));
}

// Spawns `task` pinned to worker `worker` (0-based): it never runs elsewhere.
template <class T>
JoinHandle<T> spawn_on(std::size_t worker, Task<T> task) {
  auto& s = detail::scheduler_of_this_thread("spawn_on");
  return detail::spawn_into(s, std::move(task), detail::checked_worker_index(s, worker));
}

// Lets every other runnable task run before this one continues: the task goes
// to the back of the queue (a pinned task to the back of its worker's queue).
inline detail::YieldAwaiter yield() noexcept { return {}; }

namespace this_worker {
// The index (0-based) of the worker running the caller, or -1 on a thread
// that is not a skein worker.
inline int index() noexcept { return detail::tls_context.worker ? detail::tls_context.worker_index : -1; }
}  // namespace this_worker

namespace this_task {
// The id of the running task (0 outside a task).
inline std::uint64_t id() noexcept {
  auto* t = detail::current_task();
  return t ? t->id : 0;
}
}  // namespace this_task

}  // namespace skein
