// TaskHeader: the unit the scheduler runs, and the join protocol of a spawned task.
//
// A spawned task is a Task<T> coroutine frame plus a SpawnState<T> (this header
// and the task's Result<T>). The queues hold TaskHeader pointers; running a task
// means resuming `resume_point`, the innermost coroutine of the task's await
// chain. An awaitable that suspends a task records that point with
// suspend_current(h) and later makes the task runnable again with schedule().
//
// Join state (one atomic word, `join_state`):
//   kRunning (0)        running, nobody waits
//   kExternalWaiter (2) a thread outside the runtime waits (JoinHandle::wait)
//   a TaskHeader*       that task awaits this one (its resume_point is set)
//   kDone (1)           finished, result stored
// The joiner: load(acquire) — done? take the result; else CAS(kRunning -> me,
// acq_rel): acquire so a failed CAS (the task just finished) sees the result;
// release so the finisher sees my resume_point. The finisher:
// exchange(kDone, acq_rel): release publishes the result, acquire makes the
// joiner's resume_point visible; a joiner that came back is resumed next.
//
// Lifetime: `refs` starts at 2, one for the JoinHandle and one for the owner
// (the worker registry that can destroy unfinished frames at shutdown, or the
// blocking pool). The frame itself is destroyed as soon as the task finishes;
// the state lives until both references are dropped.
//
// THREAD SAFETY: `resume_point` is written by the thread that suspends the task
// and read by the thread that resumes it; the hand-over always goes through a
// release/acquire pair (queue push/pop, join CAS/exchange, a primitive's lock).
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "skein/detail/frame_allocator.hpp"
#include "skein/error.hpp"
#include "skein/detail/result.hpp"

namespace skein::detail {

class Scheduler;
struct CancelHook;

inline constexpr std::uintptr_t kRunning = 0;
inline constexpr std::uintptr_t kDone = 1;
inline constexpr std::uintptr_t kExternalWaiter = 2;

// Bits of TaskHeader::flags.
inline constexpr std::uint32_t kCancelRequested = 1;

struct TaskHeader {
  std::coroutine_handle<> resume_point;  // what to resume when this task runs next
  std::coroutine_handle<> frame;         // the spawned coroutine; null once finished or for blocking jobs
  Scheduler* scheduler = nullptr;
  std::atomic<std::uintptr_t> join_state{kRunning};
  std::atomic<std::uint32_t> refs{2};
  std::atomic<std::uint32_t> flags{0};
  std::atomic<struct CancelHook*> cancel_hook{nullptr};  // see cancel_hook.hpp
  std::int32_t pinned_worker = -1;  // >= 0: never runs on another worker
  std::uint64_t id = 0;
  void (*destroy_state)(TaskHeader*) noexcept = nullptr;
  void (*run_blocking)(TaskHeader*) noexcept = nullptr;  // set for spawn_blocking jobs
  // Stores "runtime shut down before the task finished" into the result.
  void (*abort_result)(TaskHeader*) noexcept = nullptr;

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  void release() noexcept {
    // acq_rel: the last owner must see every write the other made before it
    // dropped its reference (the result written, the handle done reading).
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_state(this);
  }
};

template <class T>
struct SpawnState : TaskHeader {
  Result<T> result;

  SpawnState() {
    destroy_state = [](TaskHeader* h) noexcept { delete static_cast<SpawnState*>(h); };
    abort_result = [](TaskHeader* h) noexcept {
      static_cast<SpawnState*>(h)->result.set_exception(std::make_exception_ptr(
          runtime_shutdown("skein: the runtime shut down before this task finished")));
    };
  }
};

}  // namespace skein::detail
