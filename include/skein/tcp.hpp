// TCP over io_uring: awaitable accept, connect, read, write.
//
//   auto listener = skein::TcpListener::bind("127.0.0.1", 8080);
//   skein::TcpStream s = co_await listener.accept();
//   std::array<std::byte, 4096> buf;
//   std::size_t n = co_await s.read(buf);          // 0 = the peer closed
//   co_await s.write_all(std::span(buf).first(n));
//
// TcpStream is a ByteStream (byte_stream.hpp: reads, writes, timeouts,
// errors, cancellation, who may call what) with TCP's connect and options.
// A listener may be used by one accepting task at a time; close() and the
// destructor must not race with an accept in flight.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "skein/byte_stream.hpp"
#include "skein/listener_socket.hpp"
#include "skein/socket_addr.hpp"
#include "skein/task.hpp"

namespace skein {

class TcpStream : public ByteStream {
 public:
  TcpStream() noexcept : ByteStream(-1, names_) {}
  explicit TcpStream(int fd) noexcept : ByteStream(fd, names_) {}  // takes ownership of a connected socket
  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;

  static Task<TcpStream> connect(SocketAddr addr);

  // How long a connection attempt runs alone before the next address is
  // tried alongside it (RFC 8305's "Connection Attempt Delay").
  static constexpr std::chrono::milliseconds kAttemptDelay{250};

  // A numeric address or a host name (skein::lookup_host), connected the
  // Happy Eyeballs way (RFC 8305): the addresses, families interleaved
  // (IPv6, IPv4, IPv6, ...: in the order the resolver prefers), are tried one
  // after another, but an attempt that has neither succeeded nor failed
  // within `attempt_delay` no longer holds up the next one: they race, the
  // first connection wins and the others are cancelled. An address that
  // fails at once (refused, unreachable) moves on at once. If all fail, the
  // last error is thrown, naming every address tried; an error no other
  // address can cure (no io_uring, out of descriptors, a cancel) is thrown
  // at once.
  static Task<TcpStream> connect(std::string host, std::uint16_t port,
                                 std::chrono::milliseconds attempt_delay = kAttemptDelay);
  // The same over addresses you already have, in the order given.
  static Task<TcpStream> connect(std::vector<SocketAddr> addrs,
                                 std::chrono::milliseconds attempt_delay = kAttemptDelay);

  void set_nodelay(bool on);
  SocketAddr peer_addr() const;
  SocketAddr local_addr() const;

 private:
  static const Names names_;
};

class TcpListener : public ListenerSocket {
 public:
  TcpListener() noexcept : ListenerSocket("TcpListener", "TcpListener::accept") {}
  TcpListener(TcpListener&&) noexcept = default;
  TcpListener& operator=(TcpListener&&) noexcept = default;

  // Binds and listens (SO_REUSEADDR; an IPv6 address listens on IPv6 only).
  // Port 0 picks a free port: see local_addr(). Throws std::system_error.
  // May be called from any thread (it does not need a ring).
  static TcpListener bind(std::string_view ip, std::uint16_t port, int backlog = 1024);
  static TcpListener bind(const SocketAddr& addr, int backlog = 1024);

  // The next connection (ListenerSocket: backs off when out of descriptors).
  Task<TcpStream> accept();

  SocketAddr local_addr() const;
  std::uint16_t local_port() const { return local_addr().port(); }
};

}  // namespace skein
