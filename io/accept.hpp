// Connection set-up every stream socket kind shares (TCP, Unix): the accept
// loop of the listeners and the connect of the streams.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>

#include "skein/task.hpp"

namespace skein::io {

// The next connection's fd (close-on-exec). When the process is out of file
// descriptors (EMFILE/ENFILE) it backs off (1 ms, doubling up to 100 ms,
// sleeping on the timer heap, so the connections already open keep being
// served), counts it in `exhausted` and tries again; a client that gave up
// before it was accepted (ECONNABORTED) is skipped. Other errors throw
// std::system_error naming `what`.
Task<int> accept_socket(int listen_fd, std::atomic<std::uint64_t>& exhausted, const char* what);

// Connects `fd` to `addr`, on the ring or (readiness_mode) through epoll: 0,
// or -errno. `what` names the operation ("TcpStream::connect").
Task<int> connect_socket(int fd, const sockaddr* addr, socklen_t len, const char* what);

}  // namespace skein::io
