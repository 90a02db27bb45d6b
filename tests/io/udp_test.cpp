// UDP: round trip, truncation, cancelled receive.
#include <array>
#include <cstring>

#include "io_test_util.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/udp.hpp"

using namespace std::chrono_literals;
using skein::Task;
using skein::UdpSocket;

TEST(Udp, RoundTrip) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto a = UdpSocket::bind("127.0.0.1", 0);
  auto b = UdpSocket::bind("127.0.0.1", 0);
  rt.block_on([](UdpSocket& a, UdpSocket& b) -> Task<void> {
    const auto a_addr = a.local_addr();
    const auto b_addr = b.local_addr();
    // An echo peer on b, for 100 datagrams.
    auto echo = skein::spawn([](UdpSocket& b) -> Task<void> {
      std::array<std::byte, 2048> buf;
      for (int i = 0; i < 100; ++i) {
        auto r = co_await b.recv_from(buf);
        co_await b.send_to(std::span(buf).first(r.size), r.from);
      }
    }(b));
    for (int i = 0; i < 100; ++i) {
      std::array<std::byte, 100> out;
      for (std::size_t k = 0; k < out.size(); ++k) out[k] = std::byte(static_cast<unsigned char>(i + k));
      EXPECT_EQ(co_await a.send_to(std::span(out).first(i + 1), b_addr), std::size_t(i + 1));
      std::array<std::byte, 2048> in;
      auto r = co_await a.recv_from(in);
      EXPECT_EQ(r.size, std::size_t(i + 1));
      EXPECT_FALSE(r.truncated);
      EXPECT_EQ(r.from.port(), b_addr.port());
      EXPECT_EQ(std::memcmp(in.data(), out.data(), r.size), 0);
    }
    co_await echo;
    (void)a_addr;
  }(a, b));
}

TEST(Udp, TruncatedDatagramIsReported) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto a = UdpSocket::bind("127.0.0.1", 0);
  auto b = UdpSocket::bind("127.0.0.1", 0);
  rt.block_on([](UdpSocket& a, UdpSocket& b) -> Task<void> {
    std::array<std::byte, 64> big{};
    co_await a.send_to(big, b.local_addr());
    std::array<std::byte, 8> small;
    auto r = co_await b.recv_from(small);
    EXPECT_EQ(r.size, small.size());
    EXPECT_TRUE(r.truncated);
  }(a, b));
}

TEST(Udp, CancelledReceive) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto a = UdpSocket::bind("127.0.0.1", 0);
  rt.block_on([](UdpSocket& a) -> Task<void> {
    auto h = skein::spawn([](UdpSocket& a) -> Task<void> {
      std::array<std::byte, 16> buf;
      co_await a.recv_from(buf);
    }(a));
    co_await skein::sleep_for(5ms);
    h.cancel();
    EXPECT_THROW(co_await h, skein::operation_canceled);
  }(a));
}
