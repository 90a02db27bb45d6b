// Helpers shared by the sync tests.
// Note: gtest ASSERT_* macros `return;` and so cannot be used inside a
// coroutine; the tests use EXPECT_* there.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace skein_test {

// Stress sizes: the full sizes in release builds, scaled down under
// the sanitizers (which are 5-20x slower on this 2-core machine).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SKEIN_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SKEIN_TEST_SANITIZED 1
#endif
#endif

#ifdef SKEIN_TEST_SANITIZED
inline constexpr std::size_t kStressScale = 2;  // divide the full sizes by this
#else
inline constexpr std::size_t kStressScale = 1;
#endif

inline constexpr std::size_t scaled(std::size_t full) { return full / kStressScale; }

// Yields until pred() holds or 10 s passed; returns whether it holds. Used to
// wait until other tasks reached a suspension point (observable state).
template <class Pred>
skein::Task<bool> eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await skein::yield();
  }
  co_return true;
}

// Spawns make(0) ... make(count - 1) (each a skein::Task<void>) and awaits
// them all.
template <class Make>
skein::Task<void> spawn_all_and_join(int count, Make make) {
  std::vector<skein::JoinHandle<void>> hs;
  for (int i = 0; i < count; ++i) hs.push_back(skein::spawn(make(i)));
  for (auto& h : hs) co_await h;
}

}  // namespace skein_test
