// TcpStream::connect over several addresses (RFC 8305): family interleaving,
// a stalled address that does not hold up the next, a failure that moves on
// at once, the losers cancelled without leaking a descriptor, errors that
// name every address, and a cancelled caller.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "io/happy_eyeballs.hpp"
#include "io_test_util.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

using namespace std::chrono_literals;
using skein::Clock;
using skein::SocketAddr;
using skein::Task;
using skein::TcpListener;
using skein::TcpStream;

namespace {

// A listener whose accept queue is full: the kernel drops further SYNs, so a
// connect to it neither succeeds nor fails for a second or more (the SYN is
// retransmitted). backlog 0 queues one connection, which `filler_` takes.
class Blackhole {
 public:
  Blackhole() : listener_(TcpListener::bind("127.0.0.1", 0, 1)) {
    // bind() rejects backlog 0; shrink it to 0 on the socket itself.
    if (::listen(listener_.native_handle(), 0) != 0) throw std::system_error(errno, std::system_category(), "listen");
    filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const SocketAddr a = listener_.local_addr();
    if (::connect(filler_, a.data(), a.size()) != 0) throw std::system_error(errno, std::system_category(), "connect");
  }
  ~Blackhole() { ::close(filler_); }
  SocketAddr addr() const { return listener_.local_addr(); }

 private:
  TcpListener listener_;
  int filler_ = -1;
};

SocketAddr refused_addr() {
  auto l = TcpListener::bind("127.0.0.1", 0);
  return l.local_addr();  // closed when l goes: nobody listens there
}

Task<std::uint16_t> connect_and_tell_port(std::vector<SocketAddr> addrs, std::chrono::milliseconds delay) {
  TcpStream s = co_await TcpStream::connect(std::move(addrs), delay);
  co_return s.peer_addr().port();
}

}  // namespace

TEST(HappyEyeballs, FamiliesAlternateInTheResolversOrder) {
  const auto v6a = SocketAddr::parse("::1", 1), v6b = SocketAddr::parse("::2", 1);
  const auto v4a = SocketAddr::parse("127.0.0.1", 1), v4b = SocketAddr::parse("127.0.0.2", 1);
  auto names = [](const std::vector<SocketAddr>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.to_string());
    return out;
  };
  EXPECT_EQ(names(skein::io::interleave_families({v6a, v6b, v4a, v4b})), names({v6a, v4a, v6b, v4b}));
  EXPECT_EQ(names(skein::io::interleave_families({v4a, v6a, v4b, v6b})), names({v4a, v6a, v4b, v6b}));
  EXPECT_EQ(names(skein::io::interleave_families({v4a, v4b})), names({v4a, v4b}));
  EXPECT_EQ(names(skein::io::interleave_families({v6a, v4a, v4b})), names({v6a, v4a, v4b}));
}

// The precondition of the next tests: a connect to the blackhole hangs.
TEST(HappyEyeballs, TheBlackholeReallyHoldsAConnect) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  Blackhole hole;
  EXPECT_THROW(rt.block_on(skein::with_timeout(300ms, TcpStream::connect(hole.addr()))), std::system_error);
}

TEST(HappyEyeballs, AStalledAddressDoesNotHoldUpTheNext) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  Blackhole hole;
  auto good = TcpListener::bind("127.0.0.1", 0);
  const int fds_before = skein::test::open_fd_count();
  const auto t0 = Clock::now();
  const std::uint16_t port = rt.block_on(connect_and_tell_port({hole.addr(), good.local_addr()}, 100ms));
  const auto took = Clock::now() - t0;
  EXPECT_EQ(port, good.local_port());
  EXPECT_GE(took, 100ms) << "the second address must wait for the attempt delay";
  EXPECT_LT(took, 900ms) << "the stalled first address held up the second";
  // The losing attempt was cancelled: its socket closes (the winner's stream
  // was dropped by the task too).
  const auto deadline = Clock::now() + 5s;
  while (skein::test::open_fd_count() > fds_before && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(skein::test::open_fd_count(), fds_before);
}

TEST(HappyEyeballs, AFailureMovesOnWithoutWaitingOutTheDelay) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto good = TcpListener::bind("127.0.0.1", 0);
  const auto t0 = Clock::now();
  EXPECT_EQ(rt.block_on(connect_and_tell_port({refused_addr(), good.local_addr()}, 10s)), good.local_port());
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(HappyEyeballs, WhenAllFailTheErrorNamesEachAddress) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  const SocketAddr a = refused_addr(), b = refused_addr();
  try {
    rt.block_on(TcpStream::connect(std::vector<SocketAddr>{a, b}));
    ADD_FAILURE() << "connected to two closed ports";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find(a.to_string()), std::string::npos) << what;
    EXPECT_NE(what.find(b.to_string()), std::string::npos) << what;
  }
  EXPECT_THROW(rt.block_on(TcpStream::connect(std::vector<SocketAddr>{})), std::invalid_argument);
}

TEST(HappyEyeballs, CancellingTheCallerCancelsEveryAttempt) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  Blackhole hole1, hole2;
  const int fds_before = skein::test::open_fd_count();
  auto h = rt.spawn(connect_and_tell_port({hole1.addr(), hole2.addr()}, 20ms));
  std::this_thread::sleep_for(100ms);  // both attempts are in flight
  const auto t0 = Clock::now();
  h.cancel();
  EXPECT_THROW(h.wait(), skein::operation_canceled);
  EXPECT_LT(Clock::now() - t0, 2s);
  const auto deadline = Clock::now() + 5s;
  while (skein::test::open_fd_count() > fds_before && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(skein::test::open_fd_count(), fds_before) << "an attempt's socket was left open";
}
