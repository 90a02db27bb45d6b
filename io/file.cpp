// File on the worker's ring (file.hpp).
#include "skein/file.hpp"

#include <unistd.h>

#include <stdexcept>
#include <system_error>
#include <utility>

#include "io/operation.hpp"

namespace skein {

namespace {
[[noreturn]] void fail(int err, const char* what, const std::string& path) {
  throw std::system_error(err, std::system_category(), std::string("skein::File::") + what + " '" + path + "'");
}
}  // namespace

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

int File::checked_fd(const char* what) const {
  if (fd_ < 0) throw std::logic_error(std::string("skein::File::") + what + ": the file is not open");
  return fd_;
}

Task<File> File::open(std::string path, int flags, unsigned mode) {
  const char* p = path.c_str();
  const int r = co_await io::submit("File::open", [&](io_uring_sqe* sqe) {
    io_uring_prep_openat(sqe, AT_FDCWD, p, flags | O_CLOEXEC, mode);
  });
  if (r < 0) fail(-r, "open", path);
  File f;
  f.fd_ = r;
  f.path_ = std::move(path);
  co_return f;
}

Task<std::size_t> File::read_at(std::span<std::byte> buf, std::uint64_t offset) {
  const int fd = checked_fd("read_at");
  if (buf.empty()) co_return 0;
  const int r = co_await io::submit("File::read_at", [&](io_uring_sqe* sqe) {
    io_uring_prep_read(sqe, fd, buf.data(), static_cast<unsigned>(std::min<std::size_t>(buf.size(), 1u << 30)), offset);
  });
  if (r < 0) fail(-r, "read_at", path_);
  co_return static_cast<std::size_t>(r);
}

Task<std::size_t> File::write_at(std::span<const std::byte> data, std::uint64_t offset) {
  const int fd = checked_fd("write_at");
  if (data.empty()) co_return 0;
  const int r = co_await io::submit("File::write_at", [&](io_uring_sqe* sqe) {
    io_uring_prep_write(sqe, fd, data.data(), static_cast<unsigned>(std::min<std::size_t>(data.size(), 1u << 30)),
                        offset);
  });
  if (r < 0) fail(-r, "write_at", path_);
  if (r == 0) fail(EIO, "write_at (wrote nothing)", path_);
  co_return static_cast<std::size_t>(r);
}

Task<void> File::write_all_at(std::span<const std::byte> data, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) done += co_await write_at(data.subspan(done), offset + done);
}

Task<void> File::fsync(bool data_only) {
  const int fd = checked_fd("fsync");
  const int r = co_await io::submit("File::fsync", [&](io_uring_sqe* sqe) {
    io_uring_prep_fsync(sqe, fd, data_only ? IORING_FSYNC_DATASYNC : 0);
  });
  if (r < 0) fail(-r, "fsync", path_);
}

Task<void> File::close() {
  if (fd_ < 0) co_return;
  const int fd = std::exchange(fd_, -1);  // closed either way, as close(2)
  int r;
  try {
    r = co_await io::submit("File::close", [&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
  } catch (...) {
    ::close(fd);  // cancelled (or no ring) before the close was submitted: no fd leak
    throw;
  }
  if (r < 0) fail(-r, "close", path_);
}

}  // namespace skein
