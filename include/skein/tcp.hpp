// TCP over io_uring: awaitable accept, connect, read, write.
//
//   auto listener = skein::TcpListener::bind("127.0.0.1", 8080);
//   skein::TcpStream s = co_await listener.accept();
//   std::array<std::byte, 4096> buf;
//   std::size_t n = co_await s.read(buf);          // 0 = the peer closed
//   co_await s.write_all(std::span(buf).first(n));
//
// Every operation runs on the io_uring of the worker the task is on at that
// moment. Errors throw std::system_error carrying the errno and the operation
// ("skein::TcpStream::read: Connection reset by peer"); end of stream is a
// normal result (read returns 0). Writing to a reset peer is an error, never
// SIGPIPE. Cancelling the task (JoinHandle::cancel, with_timeout) withdraws
// the operation and throws skein::operation_canceled; the buffer must stay
// valid until the awaited call returns or throws (it does while you await).
//
// A stream or listener may be used by one task at a time per direction (one
// reader and one writer may run concurrently). close() and the destructor
// must not race with an operation in flight on the same object.
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

#include "skein/socket_addr.hpp"
#include "skein/task.hpp"

namespace skein {

// read_exact found the end of the stream before the buffer was full.
class unexpected_eof : public std::runtime_error {
 public:
  explicit unexpected_eof(const std::string& what) : std::runtime_error(what) {}
};

class TcpStream {
 public:
  TcpStream() noexcept = default;
  explicit TcpStream(int fd) noexcept : fd_(fd) {}  // takes ownership of a connected socket
  TcpStream(TcpStream&& o) noexcept
      : fd_(o.release()), read_timeout_ns_(o.read_timeout_ns_), write_timeout_ns_(o.write_timeout_ns_) {}
  TcpStream& operator=(TcpStream&& o) noexcept;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;
  ~TcpStream() { close(); }

  static Task<TcpStream> connect(SocketAddr addr);
  // A numeric address or a host name (skein::lookup_host): each address it
  // resolves to is tried in turn; the first that accepts wins. If none does,
  // the last one's error is thrown, naming every address tried.
  static Task<TcpStream> connect(std::string host, std::uint16_t port);

  // At most buf.size() bytes; 0 at end of stream (or for an empty buffer).
  Task<std::size_t> read(std::span<std::byte> buf);
  // Exactly buf.size() bytes; throws unexpected_eof if the stream ends first.
  Task<void> read_exact(std::span<std::byte> buf);
  // At least one byte (unless buf is empty); returns how many were sent.
  Task<std::size_t> write(std::span<const std::byte> buf);
  // Every byte, however many writes it takes.
  Task<void> write_all(std::span<const std::byte> buf);

  // Convenience for text: char buffers to read into, string_views to write
  // (a literal, a std::string, ...).
  Task<std::size_t> read(std::span<char> buf) { return read(std::as_writable_bytes(buf)); }
  Task<void> read_exact(std::span<char> buf) { return read_exact(std::as_writable_bytes(buf)); }
  Task<std::size_t> write(std::string_view s) { return write(std::as_bytes(std::span(s.data(), s.size()))); }
  Task<void> write_all(std::string_view s) { return write_all(std::as_bytes(std::span(s.data(), s.size()))); }

  // Bounds every single read (read, and each step of read_exact) or write
  // step: if it makes no progress for `d`, it is withdrawn and throws
  // std::system_error with ETIMEDOUT (the stream stays usable). A linked
  // timeout on the same SQE: no extra task or timer. Zero (the default): none.
  void set_read_timeout(std::chrono::nanoseconds d) noexcept { read_timeout_ns_ = d.count() > 0 ? d.count() : 0; }
  void set_write_timeout(std::chrono::nanoseconds d) noexcept { write_timeout_ns_ = d.count() > 0 ? d.count() : 0; }

  enum class Shutdown { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };
  void shutdown(Shutdown how = Shutdown::write);
  void set_nodelay(bool on);
  // Closes now (idempotent). The destructor does it too.
  void close() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  SocketAddr peer_addr() const;
  SocketAddr local_addr() const;

 private:
  int checked_fd(const char* what) const;
  int fd_ = -1;
  std::int64_t read_timeout_ns_ = 0;
  std::int64_t write_timeout_ns_ = 0;
};

class TcpListener {
 public:
  TcpListener() noexcept = default;
  TcpListener(TcpListener&& o) noexcept
      : fd_(o.fd_), fd_exhausted_(o.fd_exhausted_.load(std::memory_order_relaxed)) {
    o.fd_ = -1;
  }
  TcpListener& operator=(TcpListener&& o) noexcept;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener() { close(); }

  // Binds and listens (SO_REUSEADDR; an IPv6 address listens on IPv6 only).
  // Port 0 picks a free port: see local_addr(). Throws std::system_error.
  // May be called from any thread (it does not need a ring).
  static TcpListener bind(std::string_view ip, std::uint16_t port, int backlog = 1024);
  static TcpListener bind(const SocketAddr& addr, int backlog = 1024);

  // The next connection. When the process is out of file descriptors
  // (EMFILE/ENFILE) it backs off (1 ms, doubling up to 100 ms, sleeping on
  // the timer heap, so the connections already open keep being served) and
  // tries again; fd_exhausted_count() tells how often that happened.
  Task<TcpStream> accept();

  SocketAddr local_addr() const;
  std::uint16_t local_port() const { return local_addr().port(); }
  std::uint64_t fd_exhausted_count() const noexcept { return fd_exhausted_.load(std::memory_order_relaxed); }

  void close() noexcept;
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  // Written by the accepting task, read by anyone: a relaxed counter.
  std::atomic<std::uint64_t> fd_exhausted_{0};
};

}  // namespace skein
