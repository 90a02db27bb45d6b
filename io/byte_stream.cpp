// ByteStream's operations on the worker's ring (byte_stream.hpp).
#include "skein/byte_stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "io/operation.hpp"
#include "io/readiness.hpp"
#include "io/socket_util.hpp"

namespace skein {

using io::throw_errno;

ByteStream& ByteStream::operator=(ByteStream&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.release();
    names_ = o.names_;
    read_timeout_ns_ = o.read_timeout_ns_;
    write_timeout_ns_ = o.write_timeout_ns_;
  }
  return *this;
}

void ByteStream::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

std::string ByteStream::op_name(const char* what) const { return std::string("skein::") + names_->kind + "::" + what; }

int ByteStream::checked_fd(const char* what) const {
  if (fd_ < 0) throw std::logic_error(op_name(what) + ": the stream is not open");
  return fd_;
}

Task<std::size_t> ByteStream::read(std::span<std::byte> buf) {
  const int fd = checked_fd("read");
  if (buf.empty()) co_return 0;
  const int r = io::readiness_mode()
                    ? co_await io::recv_when_ready(fd, buf.data(), buf.size(), 0, read_timeout_ns_)
                    : co_await io::submit(names_->read, [&](io_uring_sqe* sqe) {
                        io_uring_prep_recv(sqe, fd, buf.data(), buf.size(), 0);
                      }, read_timeout_ns_);
  if (r < 0) throw_errno(-r, op_name("read"));
  co_return static_cast<std::size_t>(r);
}

Task<void> ByteStream::read_exact(std::span<std::byte> buf) {
  const int fd = checked_fd("read_exact");
  std::size_t done = 0;
  while (done < buf.size()) {
    std::byte* p = buf.data() + done;
    const std::size_t left = buf.size() - done;
    const int r = io::readiness_mode()
                      ? co_await io::recv_when_ready(fd, p, left, 0, read_timeout_ns_)
                      : co_await io::submit(names_->read_exact, [&](io_uring_sqe* sqe) {
                          io_uring_prep_recv(sqe, fd, p, left, MSG_WAITALL);
                        }, read_timeout_ns_);
    if (r < 0) throw_errno(-r, op_name("read_exact"));
    if (r == 0)
      throw unexpected_eof(op_name("read_exact") + ": end of stream after " + std::to_string(done) + " of " +
                           std::to_string(buf.size()) + " bytes");
    done += static_cast<std::size_t>(r);
  }
}

Task<std::size_t> ByteStream::write(std::span<const std::byte> buf) {
  const int fd = checked_fd("write");
  if (buf.empty()) co_return 0;
  const int r = io::readiness_mode()
                    ? co_await io::send_when_ready(fd, buf.data(), buf.size(), MSG_NOSIGNAL, write_timeout_ns_)
                    : co_await io::submit(names_->write, [&](io_uring_sqe* sqe) {
                        io_uring_prep_send(sqe, fd, buf.data(), buf.size(), MSG_NOSIGNAL);
                      }, write_timeout_ns_);
  if (r < 0) throw_errno(-r, op_name("write"));
  co_return static_cast<std::size_t>(r);
}

Task<void> ByteStream::write_all(std::span<const std::byte> buf) {
  const int fd = checked_fd("write_all");
  std::size_t done = 0;
  while (done < buf.size()) {
    const std::byte* p = buf.data() + done;
    const std::size_t left = buf.size() - done;
    const int r = io::readiness_mode()
                      ? co_await io::send_when_ready(fd, p, left, MSG_NOSIGNAL, write_timeout_ns_)
                      : co_await io::submit(names_->write_all, [&](io_uring_sqe* sqe) {
                          io_uring_prep_send(sqe, fd, p, left, MSG_NOSIGNAL | MSG_WAITALL);
                        }, write_timeout_ns_);
    if (r < 0) throw_errno(-r, op_name("write_all"));
    done += static_cast<std::size_t>(r);  // a short write: send the rest
  }
}

void ByteStream::shutdown(Shutdown how) {
  if (::shutdown(checked_fd("shutdown"), static_cast<int>(how)) < 0 && errno != ENOTCONN)
    throw_errno(errno, op_name("shutdown"));
}

}  // namespace skein
