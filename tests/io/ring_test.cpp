// The reactor: a full SQ and an overflowing CQ lose nothing, sleeping rings
// are woken from other threads, and a refused io_uring gives a clear error.
#include <cstdlib>
#include <thread>
#include <vector>

#include "io/io_parker.hpp"
#include "io_test_util.hpp"
#include "skein/file.hpp"
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

TEST(Ring, RefusedIoUringGivesAClearErrorAndTheRuntimeStillRuns) {
  ::setenv("SKEIN_DISABLE_IO_URING", "1", 1);
  {
    skein::Runtime rt(skein::Options{.workers = 2});
    // Tasks without I/O run.
    EXPECT_EQ(rt.block_on([]() -> Task<int> { co_return 7; }()), 7);
    try {
      rt.block_on([]() -> Task<void> { co_await skein::sleep_for(1ms); }());
      ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOSYS);
      const std::string what = e.what();
      EXPECT_NE(what.find("io_uring is unavailable"), std::string::npos) << what;
      EXPECT_NE(what.find("SKEIN_DISABLE_IO_URING"), std::string::npos) << what;
    }
  }
  ::unsetenv("SKEIN_DISABLE_IO_URING");
}
