// ListenerSocket: what every listening socket (TcpListener, UnixListener)
// shares: the descriptor, closing, and the accept loop's bookkeeping.
//
// A listener may be used by one accepting task at a time; close() and the
// destructor must not race with an accept in flight. fd_exhausted_count() may
// be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "skein/task.hpp"

namespace skein {

class ListenerSocket {
 public:
  ListenerSocket(const ListenerSocket&) = delete;
  ListenerSocket& operator=(const ListenerSocket&) = delete;

  // How often accept() found the process out of file descriptors
  // (EMFILE/ENFILE) and backed off (1 ms, doubling up to 100 ms, on the timer
  // heap, so the connections already open keep being served) before trying
  // again.
  std::uint64_t fd_exhausted_count() const noexcept { return fd_exhausted_.load(std::memory_order_relaxed); }

  // Closes now (idempotent). The destructor does it too.
  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 protected:
  // `kind` names the listener in errors ("TcpListener"), `accept_name` its
  // accept ("TcpListener::accept"); both static storage.
  ListenerSocket(const char* kind, const char* accept_name) noexcept : kind_(kind), accept_name_(accept_name) {}
  ListenerSocket(ListenerSocket&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        kind_(o.kind_),
        accept_name_(o.accept_name_),
        fd_exhausted_(o.fd_exhausted_.load(std::memory_order_relaxed)) {}
  ListenerSocket& operator=(ListenerSocket&& o) noexcept;
  ~ListenerSocket() { close(); }

  // The next connection's fd (the loop in io/accept.hpp); std::logic_error if
  // the listener is not open.
  Task<int> accept_fd();
  // The fd, or std::logic_error naming the operation if the listener is closed.
  int checked_fd(const char* what) const;
  void adopt_fd(int fd) noexcept { fd_ = fd; }

 private:
  int fd_ = -1;
  const char* kind_;
  const char* accept_name_;
  // Written by the accepting task, read by anyone: a relaxed counter.
  std::atomic<std::uint64_t> fd_exhausted_{0};
};

}  // namespace skein
