// Sockets without io_uring (readiness.hpp).
#include "io/readiness.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <coroutine>
#include <system_error>

#include "io/operation.hpp"
#include "io/timer_heap.hpp"

namespace skein::io {

namespace {

class ReadyWait : private RingOp, private ReadyWaiter, private TimerNode {
 public:
  ReadyWait(int fd, bool out, std::int64_t timeout_ns) : fd_(fd), out_(out), timeout_ns_(timeout_ns) {}
  ReadyWait(const ReadyWait&) = delete;
  ReadyWait& operator=(const ReadyWait&) = delete;
  ~ReadyWait() {
    // A frame destroyed while it waits (runtime shutdown: the workers are
    // joined, single-threaded): leave neither the registration nor the timer.
    if (!owner_) return;
    stop_watching();
    stop_timer();
  }

  bool await_ready() {
    detail::throw_if_cancelled(detail::current_task());
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    IoParker& p = IoParker::current("socket wait");
    on_ready = &ReadyWait::ready;
    // Everything that can fail comes before the task is suspended.
    if (!p.watch(fd_, out_, this))
      throw std::system_error(errno, std::system_category(), "skein: epoll_ctl for a socket wait");
    watching_ = true;
    detail::TaskHeader* t = detail::suspend_current(h);
    begin(p, t, &ReadyWait::withdraw);
    if (timeout_ns_ > 0) {
      deadline_ns = IoParker::now_ns() + timeout_ns_;
      fire = &ReadyWait::timed_out;
      p.timers().push(this);
    }
    arm();
  }
  // 0 (ready) or -ETIMEDOUT; operation_canceled if withdrawn.
  int await_resume() {
    disarm();
    if (cancel_seen() && withdrawn_) throw operation_canceled();
    return result_;
  }

 private:
  // Owner thread, each: the first to run completes the wait (finish), after
  // making sure the others cannot: the parker stopped watching for it
  // (ready), or it is unwatched (timeout, withdraw); the timer is taken out.
  static void ready(ReadyWaiter* w) noexcept {
    auto* self = static_cast<ReadyWait*>(w);
    self->watching_ = false;
    self->stop_timer();
    self->finish();
  }
  static void timed_out(TimerNode* n) noexcept {
    auto* self = static_cast<ReadyWait*>(n);
    self->stop_watching();
    self->result_ = -ETIMEDOUT;
    self->finish();
  }
  static void withdraw(RingOp* op) noexcept {
    auto* self = static_cast<ReadyWait*>(op);
    self->stop_watching();
    self->stop_timer();
    self->withdrawn_ = true;
    self->finish();
  }
  void stop_watching() noexcept {
    if (watching_) owner_->unwatch(fd_, out_, this);
    watching_ = false;
  }
  void stop_timer() noexcept {
    if (heap_index != kNotQueued) owner_->timers().remove(this);
  }

  const int fd_;
  const bool out_;
  const std::int64_t timeout_ns_;
  bool watching_ = false;  // owner thread only (and the frame's destructor at shutdown)
  int result_ = 0;
  bool withdrawn_ = false;
};

// Runs `call` (a non-blocking system call returning >= 0 or -1 with errno)
// until it does not say EAGAIN, waiting for `events` in between.
template <class Call>
Task<int> when_ready(int fd, bool out, std::int64_t timeout_ns, Call call) {
  for (;;) {
    const long r = call();
    if (r >= 0) co_return static_cast<int>(r);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) co_return -errno;
    const int w = co_await ReadyWait(fd, out, timeout_ns);
    if (w < 0) co_return w;
  }
}

// Sets or clears O_NONBLOCK; false if fcntl failed (errno set).
bool set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  const int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  return want == flags || ::fcntl(fd, F_SETFL, want) == 0;
}

}  // namespace

Task<int> recv_when_ready(int fd, void* buf, std::size_t len, int flags, std::int64_t timeout_ns) {
  co_return co_await when_ready(fd, false, timeout_ns,
                                [=] { return ::recv(fd, buf, len, flags | MSG_DONTWAIT); });
}

Task<int> send_when_ready(int fd, const void* buf, std::size_t len, int flags, std::int64_t timeout_ns) {
  co_return co_await when_ready(fd, true, timeout_ns,
                                [=] { return ::send(fd, buf, len, flags | MSG_DONTWAIT); });
}

Task<int> sendmsg_when_ready(int fd, const msghdr* msg, int flags) {
  co_return co_await when_ready(fd, true, 0, [=] { return ::sendmsg(fd, msg, flags | MSG_DONTWAIT); });
}

Task<int> recvmsg_when_ready(int fd, msghdr* msg, socklen_t name_capacity) {
  co_return co_await when_ready(fd, false, 0, [=] {
    msg->msg_namelen = name_capacity;
    return ::recvmsg(fd, msg, MSG_DONTWAIT);
  });
}

Task<int> accept_when_ready(int listen_fd) {
  // A listener is only ever accepted from here on a ring-less worker: leaving
  // it non-blocking is harmless, and spares two fcntl per accept.
  if (!set_nonblocking(listen_fd, true)) co_return -errno;
  co_return co_await when_ready(listen_fd, false, 0,
                                [=] { return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC); });
}

Task<int> connect_when_ready(int fd, const sockaddr* addr, socklen_t len) {
  if (!set_nonblocking(fd, true)) co_return -errno;
  int r = 0;
  if (::connect(fd, addr, len) < 0) {
    r = -errno;
    if (r == -EINPROGRESS) {
      r = co_await ReadyWait(fd, true, 0);
      if (r == 0) {
        int err = 0;
        socklen_t err_len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0) err = errno;
        r = -err;
      }
    }
  }
  // The stream's later reads and writes use MSG_DONTWAIT: back to blocking,
  // as every skein socket is (io_uring polls blocking sockets itself).
  set_nonblocking(fd, false);
  co_return r;
}

Task<int> readable(int fd) { co_return co_await ReadyWait(fd, false, 0); }

}  // namespace skein::io
