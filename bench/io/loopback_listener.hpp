// 127.0.0.1 for the echo bench's hand-written servers and load generator: its
// address, and a listening socket on a port the kernel picks.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>

namespace bench_io {

inline sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// `extra_flags`: SOCK_NONBLOCK or 0. Returns the fd; `port` gets the port.
inline int listen_on_loopback(int extra_flags, std::uint16_t& port, const char* who) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), std::string(who) + ": socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback_address(0);  // port 0: the kernel picks one
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1024) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), std::string(who) + ": bind/listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace bench_io
