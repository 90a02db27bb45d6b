// Accepting and connecting, shared by every stream socket kind (accept.hpp).
#include "io/accept.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include "io/operation.hpp"
#include "io/readiness.hpp"
#include "io/socket_util.hpp"
#include "skein/listener_socket.hpp"
#include "skein/time.hpp"

namespace skein::io {

Task<int> accept_socket(int listen_fd, std::atomic<std::uint64_t>& exhausted, const char* what) {
  auto backoff = std::chrono::milliseconds(1);
  for (;;) {
    const int r = readiness_mode() ? co_await accept_when_ready(listen_fd)
                                   : co_await submit(what, [&](io_uring_sqe* sqe) {
                                       io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
                                     });
    if (r >= 0) co_return r;
    if (r == -EMFILE || r == -ENFILE) {
      // Out of descriptors: the pending connection stays in the backlog;
      // give the open connections time to finish and close.
      exhausted.fetch_add(1, std::memory_order_relaxed);
      co_await sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
      continue;
    }
    if (r == -ECONNABORTED || r == -EINTR) continue;  // the client gave up before we accepted: next one
    throw_errno(-r, std::string("skein::") + what);
  }
}

Task<int> connect_socket(int fd, const sockaddr* addr, socklen_t len, const char* what) {
  if (readiness_mode()) co_return co_await connect_when_ready(fd, addr, len);
  co_return co_await submit(what, [&](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, fd, addr, len); });
}

}  // namespace skein::io

namespace skein {

ListenerSocket& ListenerSocket::operator=(ListenerSocket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    kind_ = o.kind_;
    accept_name_ = o.accept_name_;
    fd_exhausted_.store(o.fd_exhausted_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

void ListenerSocket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

int ListenerSocket::checked_fd(const char* what) const {
  if (fd_ < 0) throw std::logic_error(std::string("skein::") + kind_ + "::" + what + ": the listener is not open");
  return fd_;
}

Task<int> ListenerSocket::accept_fd() {
  const int fd = checked_fd("accept");
  co_return co_await io::accept_socket(fd, fd_exhausted_, accept_name_);
}

}  // namespace skein
