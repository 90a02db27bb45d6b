// skein::Generator<T> (synchronous) and skein::AsyncGenerator<T>.
//
//   skein::Generator<int> count_to(int n) { for (int i = 1; i <= n; ++i) co_yield i; }
//   for (int v : count_to(3)) ...                      // 1 2 3
//
//   skein::AsyncGenerator<Line> lines(Channel<Line>& in) {
//     while (auto l = co_await in.recv()) co_yield std::move(*l);   // may await anything
//   }
//   auto g = lines(ch);
//   while (auto l = co_await g.next()) ...              // nullopt when the body returned
//
// Generator<T> runs on the consumer's thread, one step per iterator
// increment; it cannot co_await. An exception thrown by the body propagates
// from begin() / operator++ (and the generator is then finished).
//
// AsyncGenerator<T> runs inside the consuming task: next() resumes the body
// by symmetric transfer, and co_yield transfers straight back, so a step
// costs no scheduling. While the body awaits (a channel, a lock, ...) the
// consuming task is suspended; cancelling that task cancels the body's wait.
// An exception thrown by the body is rethrown by next().
//
// Values are yielded by reference for lvalues: Generator's iterator refers to
// the yielded object, valid until the next increment. AsyncGenerator::next()
// moves (or copies) the yielded value into the optional it returns.
//
// THREAD SAFETY: a generator is used by one consumer at a time; neither kind
// is shared between tasks concurrently. Both are move-only.
#pragma once

#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "skein/detail/frame_allocator.hpp"

namespace skein {

template <class T>
class [[nodiscard]] Generator {
 public:
  struct promise_type {
    std::add_pointer_t<const T> current = nullptr;
    std::optional<T> owned;  // a yielded prvalue lives here until the next step
    std::exception_ptr error;

    static void* operator new(std::size_t n) { return detail::frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { detail::frame_free(p, n); }

    Generator get_return_object() noexcept {
      return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(const T& v) noexcept {
      current = std::addressof(v);
      return {};
    }
    std::suspend_always yield_value(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) {
      owned.emplace(std::move(v));
      current = std::addressof(*owned);
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
    template <class U>
    U&& await_transform(U&&) = delete;  // a synchronous generator cannot co_await
  };

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = const T&;

    iterator() = default;
    explicit iterator(std::coroutine_handle<promise_type> h) : h_(h) {}
    const T& operator*() const { return *h_.promise().current; }
    const T* operator->() const { return h_.promise().current; }
    iterator& operator++() {
      step(h_);
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return !it.h_ || it.h_.done(); }

   private:
    std::coroutine_handle<promise_type> h_;
  };

  Generator(Generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Generator& operator=(Generator&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Generator() {
    if (h_) h_.destroy();
  }

  // Starts (or, called again, continues) the generator.
  iterator begin() {
    if (!h_) throw std::logic_error("skein::Generator: begin() on an empty (moved-from) generator");
    if (!started_) {
      started_ = true;
      step(h_);
    }
    return iterator(h_);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit Generator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  static void step(std::coroutine_handle<promise_type> h) {
    if (h.done()) throw std::logic_error("skein::Generator: advanced past the end");
    h.promise().owned.reset();
    h.resume();
    if (auto e = std::exchange(h.promise().error, nullptr)) std::rethrow_exception(e);
  }

  std::coroutine_handle<promise_type> h_;
  bool started_ = false;
};

template <class T>
class [[nodiscard]] AsyncGenerator {
 public:
  struct promise_type {
    std::optional<T> value;  // the yielded item, taken by next()
    std::exception_ptr error;
    std::coroutine_handle<> consumer;

    static void* operator new(std::size_t n) { return detail::frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { detail::frame_free(p, n); }

    AsyncGenerator get_return_object() noexcept {
      return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }

    // co_yield and the end both hand control straight back to the consumer.
    struct ToConsumer {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().consumer;
      }
      void await_resume() noexcept {}
    };
    ToConsumer final_suspend() noexcept { return {}; }
    template <class U>
      requires std::constructible_from<T, U&&>
    ToConsumer yield_value(U&& v) {
      value.emplace(std::forward<U>(v));
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~AsyncGenerator() {
    if (h_) h_.destroy();
  }

  class [[nodiscard]] NextAwaiter {
   public:
    explicit NextAwaiter(std::coroutine_handle<promise_type> h) : h_(h) {}
    bool await_ready() const {
      if (!h_) throw std::logic_error("skein::AsyncGenerator: next() on an empty (moved-from) generator");
      return h_.done();  // finished: nullopt at once
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
      h_.promise().consumer = consumer;
      h_.promise().value.reset();
      return h_;
    }
    std::optional<T> await_resume() {
      auto& p = h_.promise();
      if (auto e = std::exchange(p.error, nullptr)) std::rethrow_exception(e);
      if (h_.done()) return std::nullopt;
      return std::exchange(p.value, std::nullopt);
    }

   private:
    std::coroutine_handle<promise_type> h_;
  };

  // co_await: the next yielded item, or nullopt once the body returned.
  NextAwaiter next() { return NextAwaiter(h_); }

 private:
  explicit AsyncGenerator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

}  // namespace skein
