// skein::when_all / skein::when_any: run tasks concurrently and combine them.
//
//   auto [a, b] = co_await skein::when_all(fetch(1), fetch(2));   // std::tuple
//   std::vector<int> all = co_await skein::when_all(std::move(tasks));
//   auto first = co_await skein::when_any(std::move(tasks));       // {index, value}
//
// when_all spawns every task (they run in parallel on the workers), waits for
// all of them, and returns their results in argument order (void results are
// std::monostate in the tuple; when_all of a vector of Task<void> returns
// void). If some tasks throw, all are still awaited and the exception of the
// first failing one in argument order is rethrown.
//
// when_any spawns every task and returns the first to finish: its index and
// its value (or rethrows its exception). The others are cancelled (they see
// operation_canceled at their next suspension point) and awaited before
// when_any returns, so nothing they reference dangles. A task that never
// suspends can delay when_any's return until it finishes. If the task
// awaiting when_any is itself cancelled, every child is cancelled and
// operation_canceled is rethrown.
//
// THREAD SAFETY: the children run on any worker; the winner is decided by
// one atomic exchange (acq_rel: the loser does not touch the result; the
// result is published to the awaiting task by Event's release/acquire).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "skein/event.hpp"
#include "skein/join_handle.hpp"
#include "skein/join_set.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace skein {

namespace detail {

template <class T>
Task<Result<ValueOrMonostate<T>>> settle_handle(JoinHandle<T>& h) {
  Result<ValueOrMonostate<T>> r;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await h;
      r.set_value(std::monostate{});
    } else {
      r.set_value(co_await h);
    }
  } catch (...) {
    r.set_exception(std::current_exception());
  }
  co_return r;
}

template <class... Ts, std::size_t... I>
Task<std::tuple<ValueOrMonostate<Ts>...>> when_all_tuple(std::index_sequence<I...>, std::tuple<Task<Ts>...> tasks) {
  std::tuple<JoinHandle<Ts>...> handles{skein::spawn(std::move(std::get<I>(tasks)))...};
  // Braced list: the awaits run left to right.
  std::tuple<Result<ValueOrMonostate<Ts>>...> results{co_await settle_handle(std::get<I>(handles))...};
  // take() rethrows: the first failure in argument order wins.
  co_return std::tuple<ValueOrMonostate<Ts>...>{std::get<I>(results).take()...};
}

template <class T>
struct WhenAnyState {
  std::atomic<bool> decided{false};
  std::size_t index = 0;
  Result<ValueOrMonostate<T>> result;
  Event done;
};

template <class T>
Task<void> when_any_member(std::shared_ptr<WhenAnyState<T>> st, std::size_t index, Task<T> task) {
  auto r = co_await settle(std::move(task));
  if (!st->decided.exchange(true, std::memory_order_acq_rel)) {
    st->index = index;
    st->result = std::move(r);
    st->done.set();
  }
}

}  // namespace detail

template <class... Ts>
Task<std::tuple<detail::ValueOrMonostate<Ts>...>> when_all(Task<Ts>... tasks) {
  return detail::when_all_tuple<Ts...>(std::index_sequence_for<Ts...>{}, std::tuple<Task<Ts>...>(std::move(tasks)...));
}

template <class T>
  requires(!std::is_void_v<T>)
Task<std::vector<T>> when_all(std::vector<Task<T>> tasks) {
  std::vector<JoinHandle<T>> handles;
  handles.reserve(tasks.size());
  for (auto& t : tasks) handles.push_back(skein::spawn(std::move(t)));
  std::vector<detail::Result<T>> results;
  results.reserve(handles.size());
  for (auto& h : handles) results.push_back(co_await detail::settle_handle(h));
  std::vector<T> values;
  values.reserve(results.size());
  for (auto& r : results) values.push_back(r.take());
  co_return values;
}

inline Task<void> when_all(std::vector<Task<void>> tasks) {
  std::vector<JoinHandle<void>> handles;
  handles.reserve(tasks.size());
  for (auto& t : tasks) handles.push_back(skein::spawn(std::move(t)));
  std::exception_ptr first;
  for (auto& h : handles) {
    auto r = co_await detail::settle_handle(h);
    try {
      r.take();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

template <class T>
struct WhenAnyResult {
  std::size_t index;                    // which task finished first
  detail::ValueOrMonostate<T> value;    // its result
};

template <class T>
Task<WhenAnyResult<T>> when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("skein::when_any: no tasks");
  auto st = std::make_shared<detail::WhenAnyState<T>>();
  std::vector<JoinHandle<void>> handles;
  handles.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    handles.push_back(skein::spawn(detail::when_any_member<T>(st, i, std::move(tasks[i]))));
  bool cancelled = false;
  try {
    co_await st->done.wait();
  } catch (const operation_canceled&) {
    cancelled = true;
  }
  for (auto& h : handles)
    if (!h.is_finished()) h.cancel();
  if (cancelled) {
    for (auto& h : handles) h.detach();  // they hold `st` themselves
    throw operation_canceled();
  }
  for (auto& h : handles) co_await h;  // members never throw (settle)
  co_return WhenAnyResult<T>{st->index, st->result.take()};
}

template <class T, class... More>
  requires(std::is_same_v<Task<T>, More> && ...)
Task<WhenAnyResult<T>> when_any(Task<T> first, More... more) {
  std::vector<Task<T>> v;
  v.reserve(1 + sizeof...(more));
  v.push_back(std::move(first));
  (v.push_back(std::move(more)), ...);
  return when_any(std::move(v));
}

}  // namespace skein
