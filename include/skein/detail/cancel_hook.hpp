// CancelHook: how a cancellation request reaches a task that is suspended.
//
// A task is cancelled by setting kCancelRequested in its flags
// (request_cancel), or by adding to its deadline count (request_deadline_stop,
// with_deadline); either stops it (kStopMask). If it is suspended in a
// cancellable wait, that wait has armed a CancelHook; request_cancel takes the hook and runs it, and the hook
// withdraws the wait (removes the waiter from its list, cancels the I/O) and
// schedules the task, which then throws operation_canceled from await_resume.
//
// PROTOCOL (one hook per task at a time, in TaskHeader::cancel_hook):
//  1. The waiter, in await_suspend, after it is enqueued in its wait, calls
//     arm(task, hook). arm stores the hook (release) and then re-reads the
//     flag (seq_cst, pairs with step 2): if a cancel came in between, it takes
//     the hook back itself and, if it got it, runs it (the wait is withdrawn).
//  2. request_cancel: flags.fetch_or(kCancelRequested, seq_cst), then
//     cancel_hook.exchange(nullptr, acq_rel); a hook that came back is run,
//     then its `finished` is set (release). Only the exchange's winner runs it.
//  3. The waiter, when it resumes (await_resume), calls disarm(task, hook):
//     exchange(nullptr). If that returned its hook, no canceller has it: done.
//     If it returned null, a canceller took it and may be running it right
//     now: wait until `finished` (acquire) so the awaiter is not destroyed
//     under the canceller's feet. The wait is short (the hook's own work).
//  The hook's `fn` must be safe to call while the wait completes normally at
//  the same time: it typically takes the primitive's lock and withdraws the
//  waiter only if it is still queued (else the normal completion wins).
#pragma once

#include <atomic>
#include <thread>

#include "skein/detail/task_header.hpp"
#include "skein/error.hpp"

namespace skein::detail {

struct CancelHook {
  void (*fn)(CancelHook*) noexcept = nullptr;
  std::atomic<bool> finished{false};
};

inline bool cancel_requested(const TaskHeader* t) noexcept {
  return t && (t->flags.load(std::memory_order_acquire) & kStopMask);
}

// Step 1's re-read of the flags after storing a hook (seq_cst, pairs with
// the canceller's seq_cst RMW then exchange: either side sees the other).
inline bool stop_requested_seq_cst(const TaskHeader* t) noexcept {
  return t->flags.load(std::memory_order_seq_cst) & kStopMask;
}

inline void throw_if_cancelled(const TaskHeader* t) {
  if (cancel_requested(t)) throw operation_canceled();
}

// Step 2 for a deadline (with_deadline's timer): adds kDeadlineUnit to the
// task's flags and runs its hook. The scope that armed the timer takes the
// unit back when it closes. Defined by the runtime.
void request_deadline_stop(TaskHeader* t) noexcept;

// Step 1.
inline void arm_cancel_hook(TaskHeader* t, CancelHook* hook) noexcept {
  hook->finished.store(false, std::memory_order_relaxed);
  t->cancel_hook.store(hook, std::memory_order_seq_cst);
  if (stop_requested_seq_cst(t)) {
    if (CancelHook* h = t->cancel_hook.exchange(nullptr, std::memory_order_acq_rel)) {
      h->fn(h);
      h->finished.store(true, std::memory_order_release);
    }
  }
}

// Step 3.
inline void disarm_cancel_hook(TaskHeader* t, CancelHook* hook) noexcept {
  if (t->cancel_hook.exchange(nullptr, std::memory_order_acq_rel) == hook) return;
  while (!hook->finished.load(std::memory_order_acquire)) std::this_thread::yield();
}

}  // namespace skein::detail
