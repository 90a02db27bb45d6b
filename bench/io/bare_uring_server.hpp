// The echo bench's second baseline: a bare io_uring echo server, no runtime.
//
// Thread-per-core like the others: thread 0 accepts the bench's connections
// and hands connection k to thread k mod threads; each thread owns one ring
// (SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG, as skein's workers use) and
// runs the loop recv -> send -> recv on every connection it owns, with every
// SQE of a batch submitted in one io_uring_enter. It is the floor a runtime on
// io_uring recv/send can approach: the difference between skein and it is
// skein's own cost (tasks, scheduling, the cancel protocol), the difference
// between it and epoll is io_uring's.
//
// Assumes whole sends (64-byte messages: the socket buffer has room), like
// the epoll baseline.
#pragma once

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <latch>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "io/loopback_listener.hpp"

namespace bench_io {

class BareUringServer {
 public:
  BareUringServer(int threads, int connections) : connections_(connections), fds_(static_cast<std::size_t>(threads)) {
    listen_fd_ = listen_on_loopback(0, port_, "bare io_uring baseline");
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);  // one count per thread
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
    rings_ready_.wait();
    if (const int err = ring_error_.load()) {
      stop();
      throw std::system_error(err, std::system_category(), "bare io_uring baseline: io_uring_queue_init");
    }
  }
  ~BareUringServer() { stop(); }
  std::uint16_t port() const { return port_; }

 private:
  void stop() noexcept {
    const std::uint64_t n = threads_.size();
    ::shutdown(listen_fd_, SHUT_RDWR);  // ends an accept still waiting (the bench failed early)
    [[maybe_unused]] ssize_t r = ::write(stop_fd_, &n, sizeof n);
    for (auto& t : threads_) t.join();
    for (auto& list : fds_)
      for (int fd : list) ::close(fd);
    ::close(stop_fd_);
    ::close(listen_fd_);
  }
  struct Conn {
    int fd;
    char buf[16 * 1024];
  };
  static constexpr std::uint64_t kStop = ~std::uint64_t{0};

  // user_data: connection index * 2 + (0 recv, 1 send), or kStop.
  static void prep_recv(io_uring* ring, Conn& c, std::uint64_t index) {
    io_uring_sqe* sqe = get_sqe(ring);
    io_uring_prep_recv(sqe, c.fd, c.buf, sizeof c.buf, 0);
    io_uring_sqe_set_data64(sqe, index * 2);
  }
  static void prep_send(io_uring* ring, Conn& c, std::uint64_t index, int n) {
    io_uring_sqe* sqe = get_sqe(ring);
    io_uring_prep_send(sqe, c.fd, c.buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, index * 2 + 1);
  }
  static io_uring_sqe* get_sqe(io_uring* ring) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    while (!sqe) {
      io_uring_submit(ring);
      sqe = io_uring_get_sqe(ring);
    }
    return sqe;
  }

  void accept_all() {
    for (int k = 0; k < connections_; ++k) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;  // shut down: the bench gave up
      const int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fds_[static_cast<std::size_t>(k) % fds_.size()].push_back(c);
    }
  }

  void run(int index) {
    pthread_setname_np(pthread_self(), ("srv-u" + std::to_string(index)).c_str());
    // The ring is created on its own thread (SINGLE_ISSUER); the constructor
    // waits for every ring and throws if one was refused.
    io_uring ring;
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    const int r = io_uring_queue_init_params(256, &ring, &p);
    if (r != 0) ring_error_.store(-r);
    rings_ready_.count_down();
    if (r != 0) {
      accepted_.count_down();  // the others must not wait for us
      return;
    }
    if (index == 0 && ring_error_.load() == 0) accept_all();
    accepted_.arrive_and_wait();
    std::vector<Conn> conns(fds_[static_cast<std::size_t>(index)].size());
    for (std::size_t i = 0; i < conns.size(); ++i) {
      conns[i].fd = fds_[static_cast<std::size_t>(index)][i];
      prep_recv(&ring, conns[i], i);
    }
    std::uint64_t stop_buf = 0;
    io_uring_sqe* sqe = get_sqe(&ring);
    io_uring_prep_read(sqe, stop_fd_, &stop_buf, sizeof stop_buf, 0);
    io_uring_sqe_set_data64(sqe, kStop);
    for (bool running = true; running;) {
      io_uring_submit_and_wait(&ring, 1);
      unsigned head, seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring, head, cqe) {
        ++seen;
        const std::uint64_t ud = cqe->user_data;
        if (ud == kStop) {
          running = false;
          continue;
        }
        Conn& c = conns[ud / 2];
        if (cqe->res <= 0) continue;  // end of stream or error: the connection is done
        if (ud % 2 == 0)
          prep_send(&ring, c, ud / 2, cqe->res);
        else
          prep_recv(&ring, c, ud / 2);
      }
      io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
  }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  const int connections_;
  std::vector<std::vector<int>> fds_;  // per thread; written by thread 0 before the latch
  std::latch rings_ready_{static_cast<std::ptrdiff_t>(fds_.size())};
  std::atomic<int> ring_error_{0};  // errno of a refused ring
  std::latch accepted_{static_cast<std::ptrdiff_t>(fds_.size())};
  std::vector<std::thread> threads_;
};

}  // namespace bench_io
