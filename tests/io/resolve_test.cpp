// lookup_host and TcpStream::connect by name (include/skein/resolve.hpp).
// No network here: names come from inet_aton forms ("127.1"), /etc/hosts and
// the reserved .invalid domain, which never resolves.
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "skein/resolve.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

using skein::SocketAddr;
using skein::Task;
using skein::TcpListener;
using skein::TcpStream;

namespace {

std::vector<std::string> texts(const std::vector<SocketAddr>& addrs) {
  std::vector<std::string> out;
  for (const SocketAddr& a : addrs) out.push_back(a.to_string());
  return out;
}

std::vector<std::string> lookup(skein::Runtime& rt, const std::string& host, std::uint16_t port) {
  return texts(rt.block_on(skein::lookup_host(host, port)));
}

}  // namespace

TEST(Resolve, NumericAddressesAreParsedWithoutALookup) {
  skein::Runtime rt(skein::Options{.workers = 1});
  EXPECT_EQ(lookup(rt, "127.0.0.1", 80), std::vector<std::string>{"127.0.0.1:80"});
  EXPECT_EQ(lookup(rt, "::1", 443), std::vector<std::string>{"[::1]:443"});
  EXPECT_EQ(lookup(rt, "[::1]", 443), std::vector<std::string>{"[::1]:443"});
  EXPECT_EQ(lookup(rt, "localhost", 8080), std::vector<std::string>{"127.0.0.1:8080"});
}

TEST(Resolve, NamesGoThroughGetaddrinfo) {
  skein::Runtime rt(skein::Options{.workers = 1});
  // Not numeric for inet_pton, so not parsed inline; getaddrinfo reads it the
  // inet_aton way (no DNS needed).
  EXPECT_FALSE(SocketAddr::try_parse("127.1", 9));
  EXPECT_EQ(lookup(rt, "127.1", 9), std::vector<std::string>{"127.0.0.1:9"});
}

TEST(Resolve, AgreesWithGetaddrinfoOnThisHostsName) {
  skein::Runtime rt(skein::Options{.workers = 1});
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int r = ::getaddrinfo(name, "7", &hints, &list);
  if (r != 0) {
    // The host's own name does not resolve here: lookup_host must say so too.
    EXPECT_THROW(lookup(rt, name, 7), std::system_error) << name;
    return;
  }
  std::vector<std::string> expected;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    const std::string t = SocketAddr::from(ai->ai_addr, ai->ai_addrlen).to_string();
    if (std::find(expected.begin(), expected.end(), t) == expected.end()) expected.push_back(t);
  }
  ::freeaddrinfo(list);
  EXPECT_EQ(lookup(rt, name, 7), expected) << name;
}

TEST(Resolve, AnUnknownNameIsAClearError) {
  skein::Runtime rt(skein::Options{.workers = 1});
  try {
    lookup(rt, "nosuch.invalid", 80);
    ADD_FAILURE() << "a .invalid name resolved";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("nosuch.invalid"), std::string::npos) << e.what();
    EXPECT_NE(e.code().value(), 0);
  }
  EXPECT_THROW(lookup(rt, "", 80), std::invalid_argument);
}

// Connecting by a name that refuses: Tcp.ConnectionRefused (tcp_test.cpp).
TEST(Resolve, ConnectByName) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto listener = TcpListener::bind("127.0.0.1", 0);
  const std::uint16_t port = listener.local_port();
  rt.block_on([](TcpListener& l, std::uint16_t port) -> Task<void> {
    auto accepted = skein::spawn(l.accept());
    TcpStream c = co_await TcpStream::connect(std::string("127.1"), port);
    TcpStream s = co_await accepted;
    EXPECT_EQ(c.peer_addr().to_string(), "127.0.0.1:" + std::to_string(port));
    co_await c.write_all("hi");
    char buf[2];
    co_await s.read_exact(buf);
    EXPECT_EQ(std::string(buf, 2), "hi");
  }(listener, port));
}
