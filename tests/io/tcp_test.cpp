// TCP: echo round trips, many connections, errors, timeouts, cancellation.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <numeric>
#include <vector>

#include "io_test_util.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

using namespace std::chrono_literals;
using skein::Task;
using skein::TcpListener;
using skein::TcpStream;

namespace {

Task<void> echo_connection(TcpStream s) {
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    const std::size_t n = co_await s.read(buf);
    if (n == 0) co_return;
    co_await s.write_all(std::span(buf).first(n));
  }
}

// Accepts `count` connections, one echo task each; returns when all are done.
Task<void> echo_server(TcpListener& l, int count) {
  std::vector<skein::JoinHandle<void>> hs;
  hs.reserve(count);
  for (int i = 0; i < count; ++i) hs.push_back(skein::spawn(echo_connection(co_await l.accept())));
  for (auto& h : hs) co_await h;
}

std::byte pattern(std::size_t i) { return std::byte(static_cast<unsigned char>((i * 131) ^ (i >> 9))); }

Task<void> send_pattern(TcpStream& s, std::size_t total, std::size_t chunk) {
  std::vector<std::byte> buf(chunk);
  for (std::size_t off = 0; off < total; off += chunk) {
    const std::size_t n = std::min(chunk, total - off);
    for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(off + i);
    co_await s.write_all(std::span(buf).first(n));
  }
  s.shutdown();
}

Task<std::size_t> check_pattern(TcpStream& s, std::size_t total) {
  std::vector<std::byte> buf(256 * 1024);
  std::size_t got = 0, bad = 0;
  for (;;) {
    const std::size_t n = co_await s.read(buf);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i] != pattern(got + i)) ++bad;
    got += n;
  }
  EXPECT_EQ(got, total);
  co_return bad;
}

// Compiles, or the overload set is ambiguous for common buffer types.
[[maybe_unused]] Task<void> overloads_compile(TcpStream& s) {
  co_await s.write_all("literal");
  std::string str = "string";
  co_await s.write_all(str);
  co_await s.write(str);
  std::vector<std::byte> bytes(3);
  co_await s.write_all(bytes);
  co_await s.read(bytes);
  std::array<char, 4> chars;
  co_await s.read(chars);
  std::vector<char> vc(3);
  co_await s.read_exact(vc);
}

}  // namespace

// A runtime with two workers and a listener on 127.0.0.1 (a free port).
class TcpLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skein::test::sockets_unavailable(rt)) GTEST_SKIP() << *why;
  }
  skein::Runtime rt{skein::Options{.workers = 2}};
  TcpListener listener = TcpListener::bind("127.0.0.1", 0);
  const std::uint16_t port = listener.local_port();
};

TEST(Tcp, EchoRoundTripOfManyMegabytes) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  const std::size_t total = (skein::test::kSanitized ? 8u : 64u) << 20;
  auto listener = TcpListener::bind("127.0.0.1", 0);
  const auto port = listener.local_port();
  const std::size_t bad = rt.block_on([](TcpListener& l, std::uint16_t port, std::size_t total) -> Task<std::size_t> {
    auto server = skein::spawn(echo_server(l, 1));
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    c.set_nodelay(true);
    auto writer = skein::spawn(send_pattern(c, total, 100'000));  // odd chunk size
    const std::size_t bad = co_await check_pattern(c, total);
    co_await writer;
    co_await server;
    co_return bad;
  }(listener, port, total));
  EXPECT_EQ(bad, 0u);
}

TEST(Tcp, IPv6Loopback) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  TcpListener l;
  try {
    l = TcpListener::bind("::1", 0);
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  const auto port = l.local_port();
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    auto server = skein::spawn(echo_server(l, 1));
    TcpStream c = co_await TcpStream::connect("::1", port);
    EXPECT_EQ(c.peer_addr().family(), AF_INET6);
    co_await c.write_all(std::string_view("hello"));
    char buf[5];
    co_await c.read_exact(std::span<char>(buf));
    EXPECT_EQ(std::string_view(buf, 5), "hello");
    c.close();
    co_await server;
  }(l, port));
}

TEST(Tcp, ManyConcurrentConnections) {
  // 10,000 connections need 20,000 descriptors in this process (both ends).
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  int conns = skein::test::kSanitized ? 1000 : 10'000;
  conns = static_cast<int>(std::min<rlim_t>(conns, (lim.rlim_cur - 100) / 2));
  ASSERT_GE(conns, 500) << "fd limit too low: " << lim.rlim_cur;
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto listener = TcpListener::bind("127.0.0.1", 0, 4096);
  const auto port = listener.local_port();
  std::atomic<int> ok{0};
  rt.block_on([](TcpListener& l, std::uint16_t port, int conns, std::atomic<int>& ok) -> Task<void> {
    auto server = skein::spawn(echo_server(l, conns));
    std::vector<skein::JoinHandle<void>> clients;
    for (int i = 0; i < conns; ++i)
      clients.push_back(skein::spawn([](std::uint16_t port, int i, std::atomic<int>& ok) -> Task<void> {
        TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
        // Hold every connection open at once: all clients first connect, then talk.
        co_await skein::sleep_for(50ms);
        std::uint64_t out[4] = {std::uint64_t(i), std::uint64_t(i) * 3, ~std::uint64_t(i), 42};
        std::uint64_t in[4] = {};
        for (int round = 0; round < 3; ++round) {
          co_await c.write_all(std::as_bytes(std::span(out)));
          co_await c.read_exact(std::as_writable_bytes(std::span(in)));
          if (std::memcmp(in, out, sizeof out) != 0) co_return;
        }
        ok.fetch_add(1, std::memory_order_relaxed);
      }(port, i, ok)));
    for (auto& h : clients) co_await h;
    co_await server;
  }(listener, port, conns, ok));
  EXPECT_EQ(ok.load(), conns);
}

TEST(Tcp, ConnectionRefused) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  std::uint16_t port;
  {
    auto l = TcpListener::bind("127.0.0.1", 0);
    port = l.local_port();
  }  // closed: nobody listens there now
  rt.block_on([](std::uint16_t port) -> Task<void> {
    // A numeric address, and a name (resolved through getaddrinfo: "127.1"
    // is 127.0.0.1 the inet_aton way), whose error names every address tried.
    for (const char* host : {"127.0.0.1", "127.1"}) {
      try {
        co_await TcpStream::connect(host, port);
        ADD_FAILURE() << "connected to a closed port via " << host;
      } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
        EXPECT_NE(std::string(e.what()).find("connect"), std::string::npos) << e.what();
        if (std::string(host) == "127.1")
          EXPECT_NE(std::string(e.what()).find("tried 127.0.0.1:" + std::to_string(port)), std::string::npos)
              << e.what();
      }
    }
  }(port));
}

TEST_F(TcpLoopback, PeerResetMidWriteIsAnErrorNotACrash) {
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    auto server = skein::spawn([](TcpListener& l) -> Task<void> {
      TcpStream s = co_await l.accept();
      linger lg{1, 0};  // close with RST
      ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      co_await skein::sleep_for(20ms);
      s.close();
    }(l));
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    std::vector<std::byte> big(1 << 20);
    bool failed = false;
    for (int i = 0; i < 1000 && !failed; ++i) {
      try {
        co_await c.write_all(big);
      } catch (const std::system_error& e) {
        failed = true;
        EXPECT_TRUE(e.code().value() == ECONNRESET || e.code().value() == EPIPE) << e.what();
      }
    }
    EXPECT_TRUE(failed);
    co_await server;
  }(listener, port));
}

TEST_F(TcpLoopback, EndOfStream) {
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    auto server = skein::spawn([](TcpListener& l) -> Task<void> {
      TcpStream s = co_await l.accept();
      co_await s.write_all(std::string_view("abc"));
    }(l));  // closes after writing
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    char buf[8];
    EXPECT_THROW(co_await c.read_exact(std::span<char>(buf, 8)), skein::unexpected_eof);
    EXPECT_EQ(co_await c.read(std::span<char>(buf)), 0u);  // EOF is a normal result
    co_await server;
  }(listener, port));
}

TEST_F(TcpLoopback, ReadTimeout) {
  const int fds_before = skein::test::open_fd_count();
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    TcpStream s = co_await l.accept();  // silent peer
    std::array<std::byte, 16> buf;
    const auto t0 = skein::Clock::now();
    try {
      co_await skein::with_timeout(100ms, c.read(buf));
      ADD_FAILURE() << "read returned";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::timed_out);
    }
    EXPECT_GE(skein::Clock::now() - t0, 100ms);
    // The stream still works after the timed-out read was withdrawn.
    co_await s.write_all(std::string_view("x"));
    EXPECT_EQ(co_await c.read(buf), 1u);
  }(listener, port));
  EXPECT_EQ(skein::test::open_fd_count(), fds_before);
}

TEST_F(TcpLoopback, CancelAcceptAndReadLeaksNothing) {
  const int fds_before = skein::test::open_fd_count();
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    for (int round = 0; round < 20; ++round) {
      auto acceptor = skein::spawn([](TcpListener& l) -> Task<void> { co_await l.accept(); }(l));
      co_await skein::sleep_for(2ms);
      acceptor.cancel();
      EXPECT_THROW(co_await acceptor, skein::operation_canceled);
    }
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    TcpStream s = co_await l.accept();
    for (int round = 0; round < 20; ++round) {
      auto reader = skein::spawn([](TcpStream& s) -> Task<void> {
        std::array<std::byte, 64> buf;
        co_await s.read(buf);
        ADD_FAILURE() << "read completed";
      }(s));
      co_await skein::sleep_for(2ms);
      reader.cancel();
      EXPECT_THROW(co_await reader, skein::operation_canceled);
    }
  }(listener, port));
  EXPECT_EQ(skein::test::open_fd_count(), fds_before);
}

TEST(Tcp, MisuseThrowsClearly) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  EXPECT_THROW(TcpListener::bind("not-an-ip", 0), std::invalid_argument);
  EXPECT_THROW(TcpListener::bind("127.0.0.1", 0, 0), std::invalid_argument);
  rt.block_on([]() -> Task<void> {
    TcpStream s;
    std::array<std::byte, 4> buf;
    EXPECT_THROW(co_await s.read(buf), std::logic_error);
  }());
}

// Out of descriptors: accept backs off instead of failing, the connections it
// has keep being served, and the waiting client is accepted once descriptors
// are free again.
TEST_F(TcpLoopback, AcceptBacksOffWhenOutOfDescriptors) {
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  struct Restore {
    rlimit lim;
    ~Restore() { setrlimit(RLIMIT_NOFILE, &lim); }
  } restore{saved};
  rt.block_on([](TcpListener& l, std::uint16_t port, rlimit saved) -> Task<void> {
    // RLIMIT_NOFILE bounds descriptor numbers, and io_uring reads it when an
    // accept is queued: fill every hole below a low limit first, then free
    // exactly three descriptors: the first client, its accepted socket, the
    // second client. The server's second accept then finds none.
    rlimit tight = saved;
    const int probe = ::dup(0);
    tight.rlim_cur = static_cast<rlim_t>(probe + 8);
    ::close(probe);
    EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    std::vector<int> fillers;
    for (int fd; fillers.size() < 100000 && (fd = ::dup(0)) >= 0;) fillers.push_back(fd);
    EXPECT_GE(fillers.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      ::close(fillers.back());
      fillers.pop_back();
    }
    auto server = skein::spawn(echo_server(l, 2));
    TcpStream first = co_await TcpStream::connect("127.0.0.1", port);
    co_await first.write_all(std::string_view("1"));
    char c;
    co_await first.read_exact(std::span<char>(&c, 1));
    TcpStream second = co_await TcpStream::connect("127.0.0.1", port);
    for (int i = 0; i < 200 && l.fd_exhausted_count() == 0; ++i) co_await skein::sleep_for(5ms);
    EXPECT_GT(l.fd_exhausted_count(), 0u);
    // The connection already accepted is still served.
    co_await first.write_all(std::string_view("2"));
    co_await first.read_exact(std::span<char>(&c, 1));
    EXPECT_EQ(c, '2');
    setrlimit(RLIMIT_NOFILE, &saved);
    for (int fd : fillers) ::close(fd);
    // Now the second one gets accepted and echoed.
    co_await second.write_all(std::string_view("3"));
    co_await second.read_exact(std::span<char>(&c, 1));
    EXPECT_EQ(c, '3');
    first.close();
    second.close();
    co_await server;
  }(listener, port, saved));
}

// Shutting the runtime down while tasks wait in accept, read, sleep and
// with_timeout: their frames are destroyed without touching freed memory (the
// kernel cancelled their operations when the workers exited), and no
// descriptor stays open.
TEST(Tcp, ShutdownWithOperationsInFlight) {
  const int fds_before = skein::test::open_fd_count();
  {
    skein::Runtime rt(skein::Options{.workers = 2});
    SKEIN_SKIP_WITHOUT_SOCKETS(rt);
    auto listener = TcpListener::bind("127.0.0.1", 0);
    const auto port = listener.local_port();
    rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
      skein::spawn([](TcpListener& l) -> Task<void> {
        TcpStream a = co_await l.accept();
        std::array<std::byte, 16> buf;
        co_await a.read(buf);  // never completes
      }(l)).detach();
      skein::spawn([](std::uint16_t port) -> Task<void> {
        TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
        std::array<std::byte, 16> buf;
        co_await skein::with_timeout(30s, c.read(buf));  // never completes
      }(port)).detach();
      skein::spawn([]() -> Task<void> { co_await skein::sleep_for(30s); }()).detach();
      co_await skein::sleep_for(20ms);
    }(listener, port));
    rt.shutdown();
  }
  EXPECT_EQ(skein::test::open_fd_count(), fds_before);
}

// Cancellation racing with completion, many times over: each reader either
// gets its byte or sees operation_canceled with the byte left in the socket.
// Not one byte may be lost or read twice, and nothing may hang or crash.
TEST_F(TcpLoopback, CancelRacingCompletionLosesNoData) {
  const int rounds = skein::test::kSanitized ? 500 : 3000;
  rt.block_on([](TcpListener& l, std::uint16_t port, int rounds) -> Task<void> {
    TcpStream w = co_await TcpStream::connect("127.0.0.1", port);
    w.set_nodelay(true);
    TcpStream r = co_await l.accept();
    std::size_t received = 0, cancelled = 0;
    for (int i = 0; i < rounds; ++i) {
      auto reader = skein::spawn([](TcpStream& r) -> Task<std::size_t> {
        std::array<std::byte, 64> buf;
        co_return co_await r.read(buf);
      }(r));
      if (i % 3 == 0) co_await skein::yield();
      if (i % 4 == 0) {  // cancel first, then the data arrives
        reader.cancel();
        co_await w.write_all(std::string_view("x"));
      } else {
        co_await w.write_all(std::string_view("x"));
        if (i % 2 == 0) co_await skein::yield();
        reader.cancel();
      }
      try {
        received += co_await reader;
      } catch (const skein::operation_canceled&) {
        ++cancelled;
      }
    }
    w.shutdown();
    std::array<std::byte, 4096> buf;
    for (int i = 0; i < 10000; ++i) {  // what the cancelled readers left behind
      const std::size_t n = co_await r.read(buf);
      if (n == 0) break;
      received += n;
    }
    EXPECT_EQ(received, std::size_t(rounds));
    std::printf("%zu of %d readers cancelled\n", cancelled, rounds);
    EXPECT_GT(cancelled, 0u);
  }(listener, port, rounds));
}

// A per-stream read timeout is a linked timeout on each recv: ETIMEDOUT, and
// the stream keeps working (no data is lost).
TEST_F(TcpLoopback, ReadTimeoutOnTheStream) {
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    TcpStream c = co_await TcpStream::connect("127.0.0.1", port);
    TcpStream s = co_await l.accept();
    c.set_read_timeout(50ms);
    std::array<std::byte, 16> buf;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = skein::Clock::now();
      try {
        co_await c.read(buf);
        ADD_FAILURE() << "read returned";
      } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ETIMEDOUT) << e.what();
      }
      const auto took = skein::Clock::now() - t0;
      EXPECT_GE(took, 45ms);  // hrtimer vs steady_clock rounding
      EXPECT_LT(took, 2s);
    }
    co_await s.write_all(std::string_view("abc"));
    char three[3];
    co_await c.read_exact(std::span<char>(three, 3));
    EXPECT_EQ(std::string_view(three, 3), "abc");
    // Cancellation still wins over the timeout and says so.
    auto reader = skein::spawn([](TcpStream& c) -> Task<void> {
      c.set_read_timeout(10s);
      std::array<std::byte, 16> buf;
      co_await c.read(buf);
    }(c));
    co_await skein::sleep_for(5ms);
    reader.cancel();
    EXPECT_THROW(co_await reader, skein::operation_canceled);
  }(listener, port));
}

// Tasks that are stolen between two I/O awaits (after a yield): each
// operation runs on the ring of the worker the task is on at that moment,
// and every byte is right.
TEST(Tcp, TasksMigrateBetweenWorkersBetweenIoOps) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  constexpr int kClients = 64, kRounds = 30;
  auto listener = TcpListener::bind("127.0.0.1", 0);
  const auto port = listener.local_port();
  std::atomic<int> migrations{0}, ok{0};
  rt.block_on([](TcpListener& l, std::uint16_t port, std::atomic<int>& migrations, std::atomic<int>& ok) -> Task<void> {
    auto server = skein::spawn(echo_server(l, kClients));
    std::vector<skein::JoinHandle<void>> hs;
    for (int c = 0; c < kClients; ++c)
      hs.push_back(skein::spawn([](std::uint16_t port, int c, std::atomic<int>& migrations,
                                   std::atomic<int>& ok) -> Task<void> {
        TcpStream s = co_await TcpStream::connect("127.0.0.1", port);
        int last = skein::this_worker::index();
        for (int r = 0; r < kRounds; ++r) {
          std::uint32_t out[8], in[8] = {};
          for (int k = 0; k < 8; ++k) out[k] = std::uint32_t(c * 1000 + r * 10 + k);
          co_await s.write_all(std::as_bytes(std::span(out)));
          int now = skein::this_worker::index();
          if (now != last) migrations.fetch_add(1, std::memory_order_relaxed);
          last = now;
          volatile unsigned spin = 0;  // work between awaits, so that thieves find queued tasks
          for (int k = 0; k < 20'000; ++k) spin = spin + k;
          // A task woken by its worker's ring is not stealable unless that
          // worker falls behind (runtime/worker.hpp); a yield puts it where
          // the other worker steals from.
          co_await skein::yield();
          co_await s.read_exact(std::as_writable_bytes(std::span(in)));
          now = skein::this_worker::index();
          if (now != last) migrations.fetch_add(1, std::memory_order_relaxed);
          last = now;
          if (std::memcmp(in, out, sizeof out) != 0) co_return;
        }
        ok.fetch_add(1, std::memory_order_relaxed);
      }(port, c, migrations, ok)));
    for (auto& h : hs) co_await h;
    co_await server;
  }(listener, port, migrations, ok));
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_GT(migrations.load(), 0) << "no task ever continued on another worker";
  std::printf("%d worker changes between I/O awaits\n", migrations.load());
}
