// Result<T>: the value or exception a finished task hands to whoever awaits it.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace skein::detail {

template <class T>
class Result {
  static_assert(!std::is_reference_v<T>, "skein tasks cannot return references; return a pointer or std::reference_wrapper");

 public:
  template <class U>
  void set_value(U&& v) {
    v_.template emplace<1>(std::forward<U>(v));
  }
  void set_exception(std::exception_ptr e) noexcept { v_.template emplace<2>(std::move(e)); }

  T take() {
    if (v_.index() == 2) std::rethrow_exception(std::get<2>(v_));
    return std::move(std::get<1>(v_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> v_;
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
