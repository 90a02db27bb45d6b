// Cancellation: CancellationSource / CancellationToken, and the cancellable
// wait queue every sync primitive (channel, mutex, semaphore, ...) uses.
//
//   skein::CancellationSource stop;
//   auto h = skein::spawn(skein::with_cancellation(stop.token(), worker()));
//   ...
//   stop.cancel();   // worker() sees skein::operation_canceled at its next wait
//
// Inside a task, `auto reg = token.bind_current_task();` cancels the running
// task when the token's source is cancelled, for as long as `reg` lives.
// Cancellation is sticky: once a task is cancelled, every later wait of that
// task throws operation_canceled at once (the task should unwind). A wait whose
// result is already available (a ready recv, an uncontended lock) does not
// suspend and does not throw.
//
// THREAD SAFETY: CancellationSource::cancel, CancellationToken and the
// registrations may be used from any thread. cancel() runs the cancel hooks of
// the registered tasks while holding the source's lock; a hook only takes the
// lock of one primitive and never the source's, so the lock order is always
// source -> primitive.
//
// The wait queue every sync primitive shares (SpinLock, Waiter, WaiterList,
// WakeList, QueuedWait, enqueue_cancellable) is in detail/wait_queue.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/detail/task_header.hpp"
#include "skein/detail/wait_queue.hpp"
#include "skein/error.hpp"
#include "skein/join_handle.hpp"
#include "skein/task.hpp"

namespace skein {

namespace detail {

struct CancelState {
  std::mutex mu;
  bool cancelled = false;
  std::vector<TaskHeader*> tasks;  // registered running tasks (alive while registered)
};

}  // namespace detail

class CancellationSource;

// Keeps the current task registered with a token; unregisters when destroyed.
// Lives in the task's frame, so the task is alive while it is registered.
class CancellationRegistration {
 public:
  CancellationRegistration() = default;
  CancellationRegistration(CancellationRegistration&& o) noexcept
      : state_(std::move(o.state_)), task_(std::exchange(o.task_, nullptr)) {}
  CancellationRegistration& operator=(CancellationRegistration&& o) noexcept {
    if (this != &o) {
      reset();
      state_ = std::move(o.state_);
      task_ = std::exchange(o.task_, nullptr);
    }
    return *this;
  }
  ~CancellationRegistration() { reset(); }

  void reset() noexcept {
    if (!state_ || !task_) return;
    std::lock_guard g(state_->mu);
    auto& v = state_->tasks;
    for (auto& t : v)
      if (t == task_) {
        t = v.back();
        v.pop_back();
        break;
      }
    task_ = nullptr;
  }

 private:
  friend class CancellationToken;
  CancellationRegistration(std::shared_ptr<detail::CancelState> s, detail::TaskHeader* t)
      : state_(std::move(s)), task_(t) {}
  std::shared_ptr<detail::CancelState> state_;
  detail::TaskHeader* task_ = nullptr;
};

// A copyable view of a CancellationSource.
class CancellationToken {
 public:
  CancellationToken() = default;  // never cancelled

  bool is_cancelled() const {
    if (!state_) return false;
    std::lock_guard g(state_->mu);
    return state_->cancelled;
  }
  void throw_if_cancelled() const {
    if (is_cancelled()) throw operation_canceled("skein: cancelled through a CancellationToken");
  }

  // Registers the running task: when the source is cancelled, the task is
  // cancelled (as JoinHandle::cancel). If it already is, the task is
  // cancelled right away. Must be called inside a skein task.
  [[nodiscard]] CancellationRegistration bind_current_task() const {
    detail::TaskHeader* t = detail::current_task();
    if (!t) throw std::logic_error("skein::CancellationToken::bind_current_task: not inside a skein task");
    if (!state_) return {};
    {
      std::lock_guard g(state_->mu);
      if (!state_->cancelled) {
        state_->tasks.push_back(t);
        return CancellationRegistration(state_, t);
      }
    }
    detail::request_cancel(t);
    return {};
  }

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<detail::CancelState> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::CancelState> state_;
};

// Owns the cancellation of a group of tasks.
class CancellationSource {
 public:
  CancellationSource() : state_(std::make_shared<detail::CancelState>()) {}

  CancellationToken token() const { return CancellationToken(state_); }

  // Cancels every task bound to a token of this source, now and later.
  // Idempotent; any thread.
  void cancel() {
    std::lock_guard g(state_->mu);
    if (state_->cancelled) return;
    state_->cancelled = true;
    // Under the lock: a registration cannot be destroyed (and its task
    // finish) while its task is being cancelled.
    for (detail::TaskHeader* t : state_->tasks) detail::request_cancel(t);
  }
  bool is_cancelled() const { return token().is_cancelled(); }

 private:
  std::shared_ptr<detail::CancelState> state_;
};

// Runs `task` bound to `token`: the returned task is cancelled when the
// token's source is. Spawn it: skein::spawn(with_cancellation(tok, work())).
template <class T>
Task<T> with_cancellation(CancellationToken token, Task<T> task) {
  auto reg = token.bind_current_task();
  co_return co_await std::move(task);
}

}  // namespace skein
