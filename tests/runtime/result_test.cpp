// detail::Result<T>: the tagged union a finished task leaves for its awaiter.
// Every constructed value is destroyed exactly once, moves carry the value or
// the exception, and take() rethrows.
#include "skein/detail/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

using skein::detail::Result;

struct Counted {
  static inline int live = 0;
  int v;
  explicit Counted(int x) : v(x) { ++live; }
  Counted(Counted&& o) noexcept : v(o.v) { ++live; }
  ~Counted() { --live; }
};

TEST(Result, ValueIsTakenAndDestroyedOnce) {
  {
    Result<Counted> r;
    r.set_value(Counted(7));
    EXPECT_EQ(Counted::live, 1);
    Counted c = r.take();  // moved out; the moved-from value stays until r dies
    EXPECT_EQ(c.v, 7);
    EXPECT_EQ(Counted::live, 2);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(Result, ExceptionIsRethrown) {
  Result<std::string> r;
  r.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  EXPECT_THROW(r.take(), std::runtime_error);
  Result<void> v;
  v.set_exception(std::make_exception_ptr(std::logic_error("bad")));
  EXPECT_THROW(v.take(), std::logic_error);
}

TEST(Result, MovesCarryValueOrException) {
  Result<std::unique_ptr<int>> a;
  a.set_value(std::make_unique<int>(5));
  Result<std::unique_ptr<int>> b(std::move(a));
  EXPECT_EQ(*b.take(), 5);

  Result<std::unique_ptr<int>> e;
  e.set_exception(std::make_exception_ptr(std::runtime_error("x")));
  Result<std::unique_ptr<int>> f;
  f.set_value(std::make_unique<int>(1));
  f = std::move(e);  // replaces the value with the exception
  EXPECT_THROW(f.take(), std::runtime_error);
}

TEST(Result, SettingTwiceDestroysTheFirst) {
  {
    Result<Counted> r;
    r.set_value(Counted(1));
    r.set_exception(std::make_exception_ptr(std::runtime_error("later")));
    EXPECT_EQ(Counted::live, 0);
    r.set_value(Counted(2));
    EXPECT_EQ(Counted::live, 1);
  }
  EXPECT_EQ(Counted::live, 0);
}

}  // namespace
