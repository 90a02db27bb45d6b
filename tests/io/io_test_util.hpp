// Helpers for the io tests: skip when the kernel refuses io_uring, count fds.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "io/io_parker.hpp"
#include "skein/file.hpp"
#include "skein/runtime.hpp"
#include "skein/unix.hpp"
#include "skein/time.hpp"

namespace skein::test {

// Empty if io_uring works on the workers of `rt`; else the reason. (Timers,
// sockets and files all work without it; this asks the worker's parker.)
inline std::optional<std::string> io_uring_unavailable(Runtime& rt) {
  try {
    rt.block_on([]() -> Task<void> {
      (void)io::IoParker::current_with_ring("io_uring probe");
      co_return;
    }());
    return std::nullopt;
  } catch (const std::system_error& e) {
    if (std::string(e.what()).find("io_uring is unavailable") != std::string::npos) return std::string(e.what());
    throw;
  }
}

// Sockets work without io_uring too (through epoll); the probe is a socket
// round trip, which fails only if neither works.
inline std::optional<std::string> sockets_unavailable(Runtime& rt) {
  try {
    rt.block_on([]() -> Task<void> {
      auto [a, b] = UnixStream::pair();
      co_await a.write_all("x");
      char c;
      co_await b.read_exact(std::span<char>(&c, 1));
    }());
    return std::nullopt;
  } catch (const std::system_error& e) {
    return std::string(e.what());
  }
}

#define SKEIN_SKIP_WITHOUT_SOCKETS(rt)                                                  \
  do {                                                                                 \
    if (auto why = ::skein::test::sockets_unavailable(rt)) GTEST_SKIP() << *why;       \
  } while (0)

#define SKEIN_SKIP_WITHOUT_IO_URING(rt)                            \
  do {                                                             \
    if (auto why = ::skein::test::io_uring_unavailable(rt)) GTEST_SKIP() << *why; \
  } while (0)

inline int open_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n - 1;  // the directory stream itself
}

inline constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

}  // namespace skein::test
