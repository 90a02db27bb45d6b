// Sockets without io_uring: wait for readiness on the worker's epoll, then
// make the non-blocking system call (the readiness IoParker, io_parker.hpp).
//
// ReadyWait follows RingOp's completion/cancel protocol (operation.hpp): the
// owner thread completes it (the fd became ready, or its timeout fired) or
// withdraws it (a cancel, through the inbox); the task is resumed once.
// The worker's parker registers the fd itself, one registration for its
// reader and its writer (IoParker::watch), and deletes it when nobody waits:
// a wait needs no descriptor of its own, so connections already open keep
// working when the process is out of descriptors. Waits on two workers use
// two epoll instances (an fd may be in several).
//
// The *_when_ready helpers return what the system call returned, or -errno
// (-ETIMEDOUT when `timeout_ns` > 0 passed with no readiness); they never
// block a worker: recv/send use MSG_DONTWAIT, accept and connect switch the
// socket to O_NONBLOCK for the call.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "io/io_context.hpp"
#include "io/io_parker.hpp"
#include "skein/task.hpp"

namespace skein::io {

// True on a worker whose io_uring was refused (sockets go through epoll).
inline bool readiness_mode() noexcept { return tls_io_parker && !tls_io_parker->has_ring(); }

Task<int> recv_when_ready(int fd, void* buf, std::size_t len, int flags, std::int64_t timeout_ns);
Task<int> send_when_ready(int fd, const void* buf, std::size_t len, int flags, std::int64_t timeout_ns);
Task<int> sendmsg_when_ready(int fd, const msghdr* msg, int flags);
// `msg->msg_namelen` is reset to `name_capacity` before each try.
Task<int> recvmsg_when_ready(int fd, msghdr* msg, socklen_t name_capacity);
Task<int> accept_when_ready(int listen_fd);
Task<int> connect_when_ready(int fd, const sockaddr* addr, socklen_t len);
// Waits until `fd` is readable (for an eventfd, a pipe): 0 or -errno.
Task<int> readable(int fd);

}  // namespace skein::io
