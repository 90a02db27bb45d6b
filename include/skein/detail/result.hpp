// Result<T>: the value or exception a finished task hands to whoever awaits it.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>
#include <memory>

namespace skein::detail {

// A tagged union rather than std::variant: set, take and destroy are one
// test of the tag each (a spawn-join does all three; skynet measured 2 % fewer
// instructions per task with it, callgrind).
template <class T>
class Result {
  static_assert(!std::is_reference_v<T>, "skein tasks cannot return references; return a pointer or std::reference_wrapper");

 public:
  Result() noexcept {}
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) { take_from(o); }
  Result& operator=(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      reset();
      take_from(o);
    }
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() { reset(); }

  template <class U>
  void set_value(U&& v) {
    reset();
    std::construct_at(&value_, std::forward<U>(v));
    state_ = State::value;
  }
  void set_exception(std::exception_ptr e) noexcept {
    reset();
    std::construct_at(&error_, std::move(e));
    state_ = State::error;
  }

  // The value (moved out) or the exception rethrown. Precondition: set.
  T take() {
    if (state_ == State::error) [[unlikely]]
      std::rethrow_exception(error_);
    return std::move(value_);
  }

 private:
  enum class State : unsigned char { empty, value, error };

  void reset() noexcept {
    if (state_ == State::value)
      std::destroy_at(&value_);
    else if (state_ == State::error)
      std::destroy_at(&error_);
    state_ = State::empty;
  }
  void take_from(Result& o) {
    if (o.state_ == State::value)
      std::construct_at(&value_, std::move(o.value_));
    else if (o.state_ == State::error)
      std::construct_at(&error_, std::move(o.error_));
    state_ = o.state_;
  }

  union {
    T value_;
    std::exception_ptr error_;
  };
  State state_ = State::empty;
};

template <>
class Result<void> {
 public:
  void set_value() noexcept {}
  void set_exception(std::exception_ptr e) noexcept { e_ = std::move(e); }
  void take() {
    if (e_) std::rethrow_exception(e_);
  }

 private:
  std::exception_ptr e_;
};

}  // namespace skein::detail
