// TaskHeader: the unit the scheduler runs, and the join protocol of a spawned task.
//
// A spawned task is a Task<T> coroutine frame plus a SpawnState<T> (this header
// and the task's Result<T>). The queues hold TaskHeader pointers; running a task
// means resuming `resume_point`, the innermost coroutine of the task's await
// chain. An awaitable that suspends a task records that point with
// suspend_current(h) and later makes the task runnable again with schedule().
//
// Join state (one atomic word, `join_state`): the high bits hold the
// TaskHeader* of a task awaiting this one, or the ExternalWaiter* of a thread
// blocked in JoinHandle::wait (tag kExternalWaiter); the low bits are flags:
//   kDone      finished, result stored
//   kDetached  the JoinHandle is gone (dropped, detached)
// The joiner: load(acquire) -- done? take the result; else CAS(0 -> me,
// acq_rel): acquire so a failed CAS (the task just finished) sees the result;
// release so the finisher sees my resume_point. The finisher (publish_done):
// exchange(kDone, acq_rel): release publishes the result, acquire makes the
// joiner's resume_point visible; the joiner that came back is resumed next.
//
// Lifetime without a reference count: the state has two owners, the running
// task and its JoinHandle, and the one that leaves second frees it. The
// finisher leaves with its exchange(kDone) (it frees the state if kDetached
// was already set); the handle leaves with fetch_or(kDetached) when dropped
// early, and without any RMW once it has seen kDone (the finisher is gone). So
// a spawn-join costs two atomic RMWs: the joiner's CAS and the finisher's
// exchange. The coroutine frame is destroyed as soon as the task finishes.
// Unfinished tasks are found at shutdown through `registry_slot`.
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

inline constexpr std::uintptr_t kDone = 1;
inline constexpr std::uintptr_t kDetached = 2;
inline constexpr std::uintptr_t kExternalWaiter = 4;  // tag on an ExternalWaiter*
inline constexpr std::uintptr_t kJoinFlags = 7;

// A thread outside the runtime blocked in JoinHandle::wait.
struct ExternalWaiter;

// TaskHeader::flags. A task stops at its next cancellable wait while either
// part is non-zero:
//   kCancelRequested  JoinHandle::cancel / a CancellationSource; sticky
//   the deadline count (bits 8 and up): with_deadline scopes of this task
//     whose deadline has passed; each scope adds kDeadlineUnit when its timer
//     fires and takes it back when it closes, so the task is no longer
//     stopped once it has left every expired scope.
inline constexpr std::uint32_t kCancelRequested = 1;
inline constexpr std::uint32_t kDeadlineUnit = 1u << 8;
inline constexpr std::uint32_t kDeadlineMask = ~(kDeadlineUnit - 1);
inline constexpr std::uint32_t kStopMask = kCancelRequested | kDeadlineMask;

struct TaskHeader {
  std::coroutine_handle<> resume_point;  // what to resume when this task runs next
  std::coroutine_handle<> frame;         // the spawned coroutine; null once finished or for blocking jobs
  Scheduler* scheduler = nullptr;
  std::atomic<std::uintptr_t> join_state{0};
  std::atomic<TaskHeader*>* registry_slot = nullptr;  // cleared when the task finishes
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

  bool is_done() const noexcept { return join_state.load(std::memory_order_acquire) & kDone; }

  // The JoinHandle leaves. Frees the state if the task has finished.
  void detach() noexcept {
    // acq_rel: if the task is done we free the state and must see all its
    // writes; otherwise the finisher must see that we left.
    if (join_state.fetch_or(kDetached, std::memory_order_acq_rel) & kDone) destroy_state(this);
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
