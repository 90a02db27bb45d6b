// skein::JoinSet<T>: spawn many tasks, await their results as they finish.
//
//   skein::JoinSet<int> set;
//   for (int i = 0; i < n; ++i) set.spawn(work(i));
//   while (auto r = co_await set.next()) use(*r);   // completion order; nullopt when all are done
//
// next() rethrows the exception a task ended with (operation_canceled for a
// cancelled one) and then the set goes on with the rest. For JoinSet<void>
// next() yields std::optional<std::monostate>.
// abort_all() cancels every task still running; destroying the set does
// too (the tasks then finish on their own; nothing dangles: they share the
// result queue with the set through a shared_ptr).
//
// ALGORITHM: each spawned task is wrapped in a task that, when the inner one
// ends, pushes its Result onto a queue guarded by a SpinLock and wakes one
// task waiting in next() (all of them when the last task ends). next() waits
// with the same cancellable wait as the other primitives and then takes a
// result under the lock, looping if a concurrent next() took it first.
// MEMORY ORDER: results move under the lock (acquire/release).
//
// THREAD SAFETY: a JoinSet object is used by one task at a time (spawn,
// next, abort_all, size); the tasks in it run anywhere. A task suspended in
// next() that is cancelled throws operation_canceled (no result is consumed).
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "skein/cancel.hpp"
#include "skein/detail/result.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace skein {

namespace detail {
template <class T>
using ValueOrMonostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Runs `t` and captures how it ended as a Result<ValueOrMonostate<T>>.
template <class T>
Task<Result<ValueOrMonostate<T>>> settle(Task<T> t) {
  Result<ValueOrMonostate<T>> r;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      r.set_value(std::monostate{});
    } else {
      r.set_value(co_await std::move(t));
    }
  } catch (...) {
    r.set_exception(std::current_exception());
  }
  co_return r;
}
}  // namespace detail

template <class T>
class JoinSet {
 public:
  using value_type = detail::ValueOrMonostate<T>;

  JoinSet() : state_(std::make_shared<State>()) {}
  JoinSet(const JoinSet&) = delete;
  JoinSet& operator=(const JoinSet&) = delete;
  ~JoinSet() {
    abort_all();
    for (auto& h : handles_) h.detach();
  }

  // Spawns `task` on the current runtime (call inside a task).
  void spawn(Task<T> task) {
    {
      detail::SpinGuard g(state_->lock_);
      ++state_->running;
    }
    try {
      handles_.push_back(skein::spawn(run_member(state_, std::move(task))));
    } catch (...) {
      detail::SpinGuard g(state_->lock_);
      --state_->running;
      throw;
    }
    // Forget finished handles now and then so the vector stays bounded.
    if (handles_.size() >= 2 * compact_at_) {
      std::erase_if(handles_, [](const JoinHandle<void>& h) { return h.is_finished(); });
      compact_at_ = std::max<std::size_t>(64, handles_.size());
    }
  }

  // Tasks spawned and not yet returned by next().
  std::size_t size() const {
    detail::SpinGuard g(state_->lock_);
    return state_->running + state_->finished.size();
  }
  bool empty() const { return size() == 0; }

  // Cancels every task still running (they end with operation_canceled,
  // which next() reports).
  void abort_all() {
    for (auto& h : handles_)
      if (h && !h.is_finished()) h.cancel();
  }

  // The result of the next task to finish, or nullopt when none is left.
  Task<std::optional<value_type>> next() {
    std::shared_ptr<State> st = state_;
    for (;;) {
      co_await detail::SimpleWait<State>(*st);
      detail::Result<value_type> r;
      {
        detail::SpinGuard g(st->lock_);
        if (st->finished.empty()) {
          if (st->running == 0) co_return std::nullopt;
          continue;  // another next() took it: wait again
        }
        r = std::move(st->finished.front());
        st->finished.pop_front();
      }
      co_return r.take();
    }
  }

 private:
  struct State {
    detail::SpinLock lock_;
    detail::WaiterList waiters_;
    std::deque<detail::Result<value_type>> finished;
    std::size_t running = 0;

    bool try_complete_locked() const noexcept { return !finished.empty() || running == 0; }
    bool try_complete_fast() {
      detail::SpinGuard g(lock_);
      return try_complete_locked();
    }
  };

  static Task<void> run_member(std::shared_ptr<State> st, Task<T> task) {
    detail::Result<value_type> r = co_await detail::settle(std::move(task));
    detail::WakeList wake;
    detail::SpinGuard g(st->lock_);
    st->finished.push_back(std::move(r));
    --st->running;
    if (st->running == 0)
      detail::complete_all(st->waiters_, wake);
    else
      detail::complete_one(st->waiters_, wake);
  }

  std::shared_ptr<State> state_;
  std::vector<JoinHandle<void>> handles_;
  std::size_t compact_at_ = 64;
};

}  // namespace skein
