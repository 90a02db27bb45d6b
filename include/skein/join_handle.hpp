// skein::JoinHandle<T>: the result of a spawned task.
//
//   auto h = skein::spawn(work());
//   int v = co_await h;          // result, or the task's exception rethrown
//
// A handle is awaited at most once. Dropping it (or detach()) lets the task
// run on; its state is freed when it finishes. wait() blocks a thread that is
// not a skein worker until the task finishes (block_on uses it).
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/detail/external_waiter.hpp"
#include "skein/detail/task_header.hpp"

namespace skein {

namespace detail {
// Asks a task to stop: sets kCancelRequested and wakes it if it waits in a
// cancellable wait. Defined by the runtime.
void request_cancel(TaskHeader* t) noexcept;
}  // namespace detail

template <class T>
class JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::SpawnState<T>* s) noexcept : s_(s) {}
  JoinHandle(JoinHandle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      detach();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { detach(); }

  // False once moved-from, detached or awaited.
  explicit operator bool() const noexcept { return s_ != nullptr; }

  // The spawned task's id (the value skein::this_task::id() returns inside it).
  std::uint64_t task_id() const {
    return state("task_id")->id;
  }

  bool is_finished() const { return state("is_finished")->is_done(); }

  // Lets the task run on without anyone awaiting it.
  void detach() noexcept {
    if (auto* s = std::exchange(s_, nullptr)) s->detach();
  }

  // Requests cancellation: the task sees skein::operation_canceled at its
  // next suspension point, and awaiting this handle then throws it. A no-op
  // on a finished task.
  void cancel() const { detail::request_cancel(state("cancel")); }

  // Blocks the calling thread (not a skein worker) until the task finishes and
  // returns its result. Consumes the handle.
  T wait() {
    auto* s = state("wait");
    if (detail::tls_context.worker)
      throw std::logic_error("skein::JoinHandle::wait blocks the thread; inside a task use co_await");
    if (!s->is_done()) {
      detail::ExternalWaiter waiter;
      std::uintptr_t expected = 0;
      // acq_rel: as the joiner's CAS in the join protocol (task_header.hpp).
      if (s->join_state.compare_exchange_strong(expected,
                                                reinterpret_cast<std::uintptr_t>(&waiter) | detail::kExternalWaiter,
                                                std::memory_order_acq_rel, std::memory_order_acquire)) {
        waiter.wait();
      } else if (!(expected & detail::kDone)) {
        throw std::logic_error("skein::JoinHandle::wait: the task is already awaited by another task");
      }
    }
    return take();
  }

  // Awaiting suspends the task until the spawned one finishes. Cancelling the
  // awaiting task does not cut this wait short: the join is two atomic RMWs
  // on purpose (task_header.hpp), and a withdrawable wait would double that.
  // The cancelled awaiter resumes when the awaited task finishes and then
  // throws operation_canceled; the result stays in the handle. To stop the
  // awaited task too, cancel it (JoinSet and when_any do).
  class Awaiter {
   public:
    explicit Awaiter(JoinHandle& h) noexcept : h_(h) {}
    bool await_ready() {
      // Finished and budget left: no suspension at all.
      return h_.state("co_await")->is_done() && detail::coop_consume();
    }
    bool await_suspend(std::coroutine_handle<> h) {
      detail::TaskHeader* me = detail::suspend_current(h);
      std::uintptr_t expected = 0;
      if (h_.s_->join_state.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(me),
                                                    std::memory_order_acq_rel, std::memory_order_acquire))
        return true;  // the finisher resumes us
      if (!(expected & detail::kDone))
        throw std::logic_error("skein::JoinHandle: the task is already awaited by another task");
      if (detail::coop_consume()) return false;  // finished meanwhile: go on at once
      // Finished, but this task's budget is used up: go to the back of the queue.
      detail::schedule_yield(me);
      return true;
    }
    T await_resume() {
      detail::throw_if_cancelled(detail::current_task());
      return h_.take();
    }

   private:
    JoinHandle& h_;
  };

  Awaiter operator co_await() & noexcept { return Awaiter(*this); }
  Awaiter operator co_await() && noexcept { return Awaiter(*this); }

 private:
  detail::SpawnState<T>* state(const char* what) const {
    if (!s_) [[unlikely]]
      throw_empty(what);
    return s_;
  }
  [[noreturn, gnu::noinline, gnu::cold]] static void throw_empty(const char* what) {
    throw std::logic_error(std::string("skein::JoinHandle::") + what +
                           ": empty handle (moved-from, detached or already awaited)");
  }
  // Called once the task is done: the finisher no longer touches the state,
  // so the handle is its only owner and frees it without an atomic RMW.
  T take() {
    struct Free {
      detail::SpawnState<T>* s;
      ~Free() {
        // A spawned task's state is exactly a SpawnState<T>: deleted
        // directly. A blocking job's is a BlockingState (it also holds the
        // callable, with whatever it captured): only destroy_state knows its
        // type and size.
        if (s->run_blocking)
          s->destroy_state(s);
        else
          delete s;
      }
    } owner{std::exchange(s_, nullptr)};
    return owner.s->result.take();
  }

  detail::SpawnState<T>* s_ = nullptr;
};

}  // namespace skein
