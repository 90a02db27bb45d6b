// The reactor: a full SQ and an overflowing CQ lose nothing, sleeping rings
// are woken from other threads, and a refused io_uring gives a clear error.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sys/socket.h>
#include <unistd.h>
#include <thread>
#include <vector>

#include "io/io_parker.hpp"
#include "io_test_util.hpp"
#include "skein/file.hpp"
#include "skein/tcp.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"

using namespace std::chrono_literals;
using skein::Task;

namespace {
Task<std::size_t> read_zeros(skein::File& f) {
  std::array<std::byte, 64> buf;
  buf.fill(std::byte{1});
  const std::size_t n = co_await f.read_at(buf, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (buf[i] != std::byte{0}) co_return 0;
  co_return n;
}
}  // namespace

// 5,000 operations queued by tasks pinned to one worker in one go: far more
// than the SQ (256) and the CQ (1,024) hold. A full SQ must be submitted, not
// reported; completions beyond the CQ must come back from the kernel's
// overflow list.
TEST(Ring, FullSqAndOverflowingCqLoseNothing) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_IO_URING(rt);
  const int n = 5000;
  const std::size_t total = rt.block_on([](int n) -> Task<std::size_t> {
    skein::File zero = co_await skein::File::open("/dev/zero", O_RDONLY);
    std::vector<skein::JoinHandle<std::size_t>> hs;
    hs.reserve(n);
    for (int i = 0; i < n; ++i) hs.push_back(skein::spawn_local(read_zeros(zero)));
    std::size_t sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  }(n));
  EXPECT_EQ(total, std::size_t(n) * 64);
}

// White box: one task queues 5,000 NOPs on its worker's ring without
// yielding. get_sqe must flush the full SQ (never fail), the completions
// overflow the CQ (1,024) into the kernel's list, and reaping must get all of
// them back; the ring keeps working afterwards.
TEST(Ring, RingFlushesFullSqAndDrainsCqOverflow) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_IO_URING(rt);
  rt.block_on([]() -> Task<void> {
    auto& p = skein::io::IoParker::current("test");
    auto& ring = p.ring();
    std::printf("ring setup: %s\n", ring.describe().c_str());
    const auto full_before = ring.sq_full_flushes();
    for (int i = 0; i < 5000; ++i) {
      io_uring_sqe* sqe = ring.get_sqe();
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, 0);  // ignored by the reaper
    }
    EXPECT_GE(ring.sq_full_flushes() - full_before, 5000u / 256 - 1);
    ring.flush();
    std::size_t reaped = 0;
    for (int i = 0; i < 100 && reaped < 5000; ++i) {
      ring.flush();
      reaped += ring.reap();
    }
    EXPECT_GE(reaped, 5000u);
    co_await skein::sleep_for(1ms);  // still works
  }());
}

// Every block_on comes from outside while the workers sleep in their rings:
// each one must wake a worker through the eventfd (no lost wake-up, no hang).
TEST(Ring, ThreadsOutsideWakeSleepingRings) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_IO_URING(rt);
  int sum = 0;
  for (int i = 0; i < 2000; ++i) {
    sum += rt.block_on([](int i) -> Task<int> { co_return i % 3; }(i));
    if (i % 200 == 0) std::this_thread::sleep_for(2ms);  // let the workers fall asleep
  }
  EXPECT_EQ(sum, 1999);  // sum of i % 3 for i in [0, 2000)
}

// With io_uring refused, everything still works: tasks, timers (the workers
// sleep in epoll_wait), sockets (readiness through epoll), files (on the
// blocking pool); the worker says why it has no ring.
TEST(Ring, RefusedIoUringLeavesTimersSocketsAndFilesWorking) {
  ::setenv("SKEIN_DISABLE_IO_URING", "1", 1);
  {
    skein::Runtime rt(skein::Options{.workers = 2});
    const auto why = skein::test::io_uring_unavailable(rt);
    ASSERT_TRUE(why.has_value()) << "the workers have a ring although SKEIN_DISABLE_IO_URING is set";
    EXPECT_NE(why->find("SKEIN_DISABLE_IO_URING"), std::string::npos) << *why;
    EXPECT_EQ(rt.block_on([]() -> Task<int> { co_return 7; }()), 7);
    const auto t0 = std::chrono::steady_clock::now();
    rt.block_on([]() -> Task<void> { co_await skein::sleep_for(20ms); }());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
    EXPECT_THROW(rt.block_on([]() -> Task<void> { co_await skein::with_timeout(10ms, skein::sleep_for(30s)); }()),
                 std::system_error);
    // A socket round trip, and end of stream.
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    const std::string got = rt.block_on([](int a, int b) -> Task<std::string> {
      skein::TcpStream x(a), y(b);  // any connected stream sockets
      co_await x.write_all("epoll");
      x.close();
      char buf[8];
      const std::size_t n = co_await y.read(std::span<char>(buf, sizeof buf));
      EXPECT_EQ(co_await y.read(std::span<char>(buf, sizeof buf)), 0u);
      co_return std::string(buf, n);
    }(sv[0], sv[1]));
    EXPECT_EQ(got, "epoll");
    // A file: opened, read and closed on the blocking pool.
    const std::size_t n = rt.block_on([]() -> Task<std::size_t> {
      auto f = co_await skein::File::open("/proc/self/stat");
      char buf[16];
      const std::size_t n = co_await f.read_at(std::as_writable_bytes(std::span(buf)), 0);
      co_await f.close();
      co_return n;
    }());
    EXPECT_GT(n, 0u);
  }
  ::unsetenv("SKEIN_DISABLE_IO_URING");
}

// A worker that never runs dry (a task yielding in a loop) must still reap
// completions on its scheduler ticks, not only when it goes to sleep. The
// reads complete asynchronously (another thread writes one byte per ms), so
// their completions are deferred task work on a DEFER_TASKRUN ring.
TEST(Ring, BusyWorkerStillReapsCompletions) {
  skein::Runtime rt(skein::Options{.workers = 1});
  SKEIN_SKIP_WITHOUT_IO_URING(rt);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::thread writer([fd = sv[1]] {
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(1ms);
      const char c = 'x';
      if (::write(fd, &c, 1) != 1) break;
    }
  });
  std::atomic<int> got{0};
  rt.block_on([](int fd, std::atomic<int>& got) -> Task<void> {
    auto io = skein::spawn([](int fd, std::atomic<int>& got) -> Task<void> {
      skein::TcpStream s(fd);  // any connected stream socket
      char c;
      for (int i = 0; i < 50; ++i) {
        co_await s.read_exact(std::span<char>(&c, 1));
        got.fetch_add(1);
      }
    }(fd, got));
    const auto t0 = skein::Clock::now();
    while (got.load() < 50 && skein::Clock::now() - t0 < 20s) co_await skein::yield();
    EXPECT_EQ(got.load(), 50);
    co_await io;
  }(sv[0], got));
  writer.join();
  ::close(sv[1]);
}

// Wake-ups from every direction at once: outside threads spawning, timers
// firing and I/O completing, while workers keep falling asleep in their
// rings. Every task must finish (a lost wake-up hangs until the TIMEOUT).
TEST(Ring, WakeUpsFromEverywhere) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_IO_URING(rt);
  const int per_thread = skein::test::kSanitized ? 200 : 1000;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        rt.spawn([](int i, std::atomic<int>& done) -> Task<void> {
            if (i % 3 == 0) co_await skein::sleep_for(std::chrono::microseconds(i % 500));
            if (i % 3 == 1) {
              skein::File zero = co_await skein::File::open("/dev/zero", O_RDONLY);
              co_await read_zeros(zero);
            }
            done.fetch_add(1, std::memory_order_relaxed);
          }(i + t, done))
            .wait();
        if (i % 100 == 0) std::this_thread::sleep_for(1ms);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), 3 * per_thread);
}
