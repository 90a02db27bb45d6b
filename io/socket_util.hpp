// Small socket helpers shared by tcp.cpp and udp.cpp.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "skein/tcp.hpp"

namespace skein::io {

[[noreturn]] inline void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::system_category(), what);
}

// A blocking (io_uring polls it itself), close-on-exec socket.
inline int make_socket(int family, int type, const char* what) {
  const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, std::string(what) + ": socket");
  return fd;
}

// getsockname or getpeername into a SocketAddr.
inline SocketAddr sock_addr_of(int fd, int (*query)(int, sockaddr*, socklen_t*), const char* what) {
  SocketAddr a;
  socklen_t len = SocketAddr::capacity();
  if (query(fd, a.data(), &len) < 0) throw_errno(errno, what);
  a.set_size(len);
  return a;
}
inline SocketAddr local_addr_of(int fd, const char* what) { return sock_addr_of(fd, &::getsockname, what); }
inline SocketAddr peer_addr_of(int fd, const char* what) { return sock_addr_of(fd, &::getpeername, what); }

}  // namespace skein::io
