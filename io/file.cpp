// File on the worker's ring (file.hpp); without a ring, on the blocking pool.
#include "skein/file.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "io/operation.hpp"
#include "io/readiness.hpp"
#include "skein/blocking.hpp"

namespace skein {

namespace {
[[noreturn]] void fail(int err, const char* what, const std::string& path) {
  throw std::system_error(err, std::system_category(), std::string("skein::File::") + what + " '" + path + "'");
}

// Without a ring (io::readiness_mode): the system call runs on the blocking
// pool; its result, or -errno. A join is not withdrawn by a cancel: the task
// resumes only once the call has returned, so the buffers it uses outlive it,
// and a cancel shows only after (the JoinHandle throws operation_canceled).
template <class Call>
Task<long> on_blocking_pool(Call call) {
  co_return co_await spawn_blocking([call]() -> long {
    const long r = call();
    return r < 0 ? -errno : r;
  });
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
  int r;
  if (io::readiness_mode()) {
    // Owned by the job and by us: a cancel that shows after the open
    // succeeded still closes the descriptor (with the last owner).
    struct Opened {
      int fd = -1;
      ~Opened() {
        if (fd >= 0) ::close(fd);
      }
    };
    auto opened = std::make_shared<Opened>();
    const long got = co_await on_blocking_pool([opened, path, flags, mode]() -> long {
      opened->fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
      return opened->fd;
    });
    r = got < 0 ? static_cast<int>(got) : std::exchange(opened->fd, -1);
  } else {
    const char* p = path.c_str();
    r = co_await io::submit("File::open", [&](io_uring_sqe* sqe) {
      io_uring_prep_openat(sqe, AT_FDCWD, p, flags | O_CLOEXEC, mode);
    });
  }
  if (r < 0) fail(-r, "open", path);
  File f;
  f.fd_ = r;
  f.path_ = std::move(path);
  co_return f;
}

Task<std::size_t> File::read_at(std::span<std::byte> buf, std::uint64_t offset) {
  const int fd = checked_fd("read_at");
  if (buf.empty()) co_return 0;
  const std::size_t len = std::min<std::size_t>(buf.size(), 1u << 30);
  const int r = io::readiness_mode()
                    ? static_cast<int>(co_await on_blocking_pool(
                          [fd, p = buf.data(), len, offset] { return ::pread(fd, p, len, static_cast<off_t>(offset)); }))
                    : co_await io::submit("File::read_at", [&](io_uring_sqe* sqe) {
                        io_uring_prep_read(sqe, fd, buf.data(), static_cast<unsigned>(len), offset);
                      });
  if (r < 0) fail(-r, "read_at", path_);
  co_return static_cast<std::size_t>(r);
}

Task<std::size_t> File::write_at(std::span<const std::byte> data, std::uint64_t offset) {
  const int fd = checked_fd("write_at");
  if (data.empty()) co_return 0;
  const std::size_t len = std::min<std::size_t>(data.size(), 1u << 30);
  const int r = io::readiness_mode()
                    ? static_cast<int>(co_await on_blocking_pool(
                          [fd, p = data.data(), len, offset] { return ::pwrite(fd, p, len, static_cast<off_t>(offset)); }))
                    : co_await io::submit("File::write_at", [&](io_uring_sqe* sqe) {
                        io_uring_prep_write(sqe, fd, data.data(), static_cast<unsigned>(len), offset);
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
  const int r = io::readiness_mode()
                    ? static_cast<int>(co_await on_blocking_pool(
                          [fd, data_only] { return static_cast<long>(data_only ? ::fdatasync(fd) : ::fsync(fd)); }))
                    : co_await io::submit("File::fsync", [&](io_uring_sqe* sqe) {
                        io_uring_prep_fsync(sqe, fd, data_only ? IORING_FSYNC_DATASYNC : 0);
                      });
  if (r < 0) fail(-r, "fsync", path_);
}

Task<void> File::close() {
  if (fd_ < 0) co_return;
  const int fd = std::exchange(fd_, -1);  // closed either way, as close(2)
  if (io::readiness_mode()) {  // close(2) does not wait for the disk: no pool job
    if (::close(fd) < 0) fail(errno, "close", path_);
    co_return;
  }
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
