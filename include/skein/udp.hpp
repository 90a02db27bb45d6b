// UDP over io_uring.
//
//   auto sock = skein::UdpSocket::bind("127.0.0.1", 0);
//   co_await sock.send_to(bytes, skein::SocketAddr::parse("127.0.0.1", 9000));
//   auto r = co_await sock.recv_from(buf);   // r.size, r.from, r.truncated
//
// Errors throw std::system_error with the errno and the operation name;
// cancellation as for TCP (tcp.hpp). One datagram per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "skein/task.hpp"
#include "skein/socket_addr.hpp"

namespace skein {

class UdpSocket {
 public:
  struct Received {
    std::size_t size = 0;    // bytes stored in the buffer
    SocketAddr from;
    bool truncated = false;  // the datagram was larger than the buffer
  };

  UdpSocket() noexcept = default;
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket() { close(); }

  // Port 0 picks a free port (see local_addr()). Any thread.
  static UdpSocket bind(std::string_view ip, std::uint16_t port);
  static UdpSocket bind(const SocketAddr& addr);

  Task<std::size_t> send_to(std::span<const std::byte> data, SocketAddr to);
  Task<Received> recv_from(std::span<std::byte> buf);

  SocketAddr local_addr() const;
  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace skein
