// ByteStream: what every connected stream socket (TcpStream, UnixStream) can
// do: read, write, read_exact, write_all, per-operation timeouts, shutdown.
//
//   std::array<std::byte, 4096> buf;
//   std::size_t n = co_await stream.read(buf);      // 0 = the peer closed
//   co_await stream.write_all(std::span(buf).first(n));
//
// Every operation runs on the io_uring of the worker the task is on at that
// moment. Errors throw std::system_error carrying the errno and the operation
// ("skein::TcpStream::read: Connection reset by peer"); end of stream is a
// normal result (read returns 0). Writing to a reset peer is an error, never
// SIGPIPE. Cancelling the task (JoinHandle::cancel, with_timeout) withdraws
// the operation and throws skein::operation_canceled; the buffer must stay
// valid until the awaited call returns or throws (it does while you await).
//
// A stream may be used by one task at a time per direction (one reader and
// one writer may run concurrently). close() and the destructor must not race
// with an operation in flight on the same object.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "skein/task.hpp"

namespace skein {

// read_exact found the end of the stream before the buffer was full.
class unexpected_eof : public std::runtime_error {
 public:
  explicit unexpected_eof(const std::string& what) : std::runtime_error(what) {}
};

class ByteStream {
 public:
  // How a kind of stream names itself in errors: "TcpStream" and its
  // operations, "TcpStream::read", ... (static storage).
  struct Names {
    const char* kind;
    const char* read;
    const char* read_exact;
    const char* write;
    const char* write_all;
  };

  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

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
  // Closes now (idempotent). The destructor does it too.
  void close() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 protected:
  ~ByteStream() { close(); }  // not deleted through a ByteStream*: no virtual
  ByteStream(int fd, const Names& names) noexcept : fd_(fd), names_(&names) {}
  ByteStream(ByteStream&& o) noexcept
      : fd_(o.release()), names_(o.names_), read_timeout_ns_(o.read_timeout_ns_), write_timeout_ns_(o.write_timeout_ns_) {}
  ByteStream& operator=(ByteStream&& o) noexcept;

  // The fd, or std::logic_error naming the operation if the stream is closed.
  int checked_fd(const char* what) const;
  // "skein::<kind>::<what>", for error messages.
  std::string op_name(const char* what) const;

 private:
  int fd_ = -1;
  const Names* names_;
  std::int64_t read_timeout_ns_ = 0;
  std::int64_t write_timeout_ns_ = 0;
};

}  // namespace skein
