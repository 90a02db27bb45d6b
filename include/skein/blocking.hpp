// skein::spawn_blocking: run a blocking function on a separate thread pool.
//
//   auto h = skein::spawn_blocking([] { return read_whole_file("big.bin"); });
//   auto bytes = co_await h;
//
// The pool grows on demand up to Options::max_blocking_threads; idle threads
// exit after Options::blocking_keep_alive. Workers never block on these jobs.
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include "skein/detail/context.hpp"
#include "skein/detail/task_header.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"

namespace skein {

namespace detail {

template <class R, class F>
struct BlockingState final : SpawnState<R> {
  F fn;

  explicit BlockingState(F&& f) : fn(std::move(f)) {
    this->destroy_state = [](TaskHeader* h) noexcept { delete static_cast<BlockingState*>(h); };
    this->abort_result = [](TaskHeader* h) noexcept {
      static_cast<BlockingState*>(h)->result.set_exception(std::make_exception_ptr(
          runtime_shutdown("skein: the runtime shut down before this blocking job started")));
    };
    this->run_blocking = [](TaskHeader* h) noexcept {
      auto* self = static_cast<BlockingState*>(h);
      try {
        if constexpr (std::is_void_v<R>) {
          std::invoke(self->fn);
          self->result.set_value();
        } else {
          self->result.set_value(std::invoke(self->fn));
        }
      } catch (...) {
        self->result.set_exception(std::current_exception());
      }
    };
  }
};

template <class F, class R = std::invoke_result_t<std::decay_t<F>&>>
JoinHandle<R> spawn_blocking_into(Scheduler& s, F&& fn) {
  using State = BlockingState<R, std::decay_t<F>>;
  auto* state = new State(std::decay_t<F>(std::forward<F>(fn)));
  try {
    submit_blocking(s, state);
  } catch (...) {
    delete state;
    throw;
  }
  return JoinHandle<R>(state);
}

}  // namespace detail

// From a task: runs `fn` on the blocking pool of the current runtime.
template <class F>
auto spawn_blocking(F&& fn) {
  return detail::spawn_blocking_into(detail::scheduler_of_this_thread("spawn_blocking"), std::forward<F>(fn));
}

// From any thread.
template <class F>
auto spawn_blocking(Runtime& rt, F&& fn) {
  return detail::spawn_blocking_into(rt.scheduler(), std::forward<F>(fn));
}

}  // namespace skein
