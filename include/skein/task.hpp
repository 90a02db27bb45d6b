// skein::Task<T>: a lazy, move-only coroutine returning T.
//
//   skein::Task<int> answer() { co_return 42; }
//   skein::Task<int> twice() { co_return 2 * co_await answer(); }
//
// A Task does nothing until it is awaited (or spawned). Awaiting it runs it on
// the awaiting task's thread by symmetric transfer: await_suspend returns the
// callee's handle and final_suspend returns the caller's, so a chain of any
// depth uses constant stack (with clang at any -O, and g++ at -O2 or above).
// The result, or the exception the task threw, is delivered to the awaiter.
#pragma once

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

#include "skein/detail/context.hpp"
#include "skein/detail/frame_allocator.hpp"
#include "skein/detail/result.hpp"
#include "skein/detail/task_header.hpp"

namespace skein {

template <class T = void>
class Task;

namespace detail {

// Destroys a coroutine frame. Destroying a suspended frame destroys the Task
// it is awaiting, and so on down the chain; the trampoline turns that
// recursion into a loop so a million-deep chain destroyed at shutdown does not
// overflow the stack.
struct FrameDestroyTrampoline {
  bool active;
  std::vector<std::coroutine_handle<>>* pending;
};
constinit inline thread_local FrameDestroyTrampoline tls_destroy{};

inline void destroy_frame(std::coroutine_handle<> h) noexcept {
  FrameDestroyTrampoline& t = tls_destroy;
  if (t.active) {
    if (!t.pending) t.pending = new std::vector<std::coroutine_handle<>>();
    t.pending->push_back(h);
    return;
  }
  t.active = true;
  h.destroy();
  while (t.pending && !t.pending->empty()) {
    auto next = t.pending->back();
    t.pending->pop_back();
    next.destroy();
  }
  delete t.pending;
  t.pending = nullptr;
  t.active = false;
}

struct PromiseBase {
  std::coroutine_handle<> continuation;  // the awaiter, for an awaited task
  TaskHeader* spawned = nullptr;         // the spawn state, for a spawned task

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
};

template <class P>
struct FinalAwaiter {
  bool await_ready() noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    P& p = h.promise();
    if (!p.spawned) [[likely]]
      return p.continuation ? p.continuation : std::noop_coroutine();
    // A spawned task (its result is already in the spawn state): free the
    // frame now, so it is recycled while still warm, then run the join
    // protocol.
    TaskHeader* state = p.spawned;
    h.destroy();
    return complete_spawned(state);
  }
  void await_resume() noexcept {}
};

// The result goes straight into the spawn state for a spawned task, so
// nothing is moved when it finishes.
template <class T>
struct Promise : PromiseBase {
  using value_type = T;
  Result<T> own_result;

  Result<T>& result() noexcept {
    return spawned ? static_cast<SpawnState<T>*>(spawned)->result : own_result;
  }

  Task<T> get_return_object() noexcept;
  FinalAwaiter<Promise> final_suspend() noexcept { return {}; }
  template <class U = T>
  void return_value(U&& v) {
    result().set_value(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { result().set_exception(std::current_exception()); }
};

template <>
struct Promise<void> : PromiseBase {
  using value_type = void;
  Result<void> own_result;

  Result<void>& result() noexcept {
    return spawned ? static_cast<SpawnState<void>*>(spawned)->result : own_result;
  }

  Task<void> get_return_object() noexcept;
  FinalAwaiter<Promise> final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { result().set_exception(std::current_exception()); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() noexcept = default;
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  // False for a moved-from or already awaited task.
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  class Awaiter {
   public:
    explicit Awaiter(Task& t) noexcept : task_(t) {}
    bool await_ready() const {
      if (!task_.h_) throw std::logic_error("skein::Task: awaiting an empty task (moved-from or already awaited)");
      return false;
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
      task_.h_.promise().continuation = caller;
      return task_.h_;
    }
    T await_resume() {
      // Free the finished frame before handing the result over; the return
      // value is built before `frame` is destroyed.
      FrameOwner frame{std::exchange(task_.h_, {})};
      return frame.h.promise().own_result.take();
    }

   private:
    struct FrameOwner {
      std::coroutine_handle<promise_type> h;
      ~FrameOwner() { detail::destroy_frame(h); }
    };
    Task& task_;
  };

  Awaiter operator co_await() & noexcept { return Awaiter(*this); }
  Awaiter operator co_await() && noexcept { return Awaiter(*this); }

  // Takes the coroutine out of the Task (used by spawn). Throws if empty.
  std::coroutine_handle<promise_type> release() {
    if (!h_) throw std::logic_error("skein: spawning an empty task (moved-from or already awaited)");
    return std::exchange(h_, {});
  }

 private:
  friend promise_type;
  explicit Task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  void reset() noexcept {
    if (h_) detail::destroy_frame(std::exchange(h_, {}));
  }

  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace skein
