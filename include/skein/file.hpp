// Files over io_uring: positioned reads and writes that never block a worker.
//
//   auto f = co_await skein::File::open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
//   co_await f.write_all_at(bytes, 0);
//   co_await f.fsync();
//   std::size_t n = co_await f.read_at(buf, 0);   // 0 at end of file
//   co_await f.close();
//
// Errors throw std::system_error with the errno, the operation and the path.
// The destructor closes a file still open (synchronously).
#pragma once

#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "skein/task.hpp"

namespace skein {

class File {
 public:
  File() noexcept = default;
  File(File&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // `flags` as for open(2) (O_CLOEXEC is added); `mode` when creating.
  static Task<File> open(std::string path, int flags = O_RDONLY, unsigned mode = 0644);

  // At most buf.size() bytes from `offset`; 0 at end of file.
  Task<std::size_t> read_at(std::span<std::byte> buf, std::uint64_t offset);
  // At least one byte; returns how many were written.
  Task<std::size_t> write_at(std::span<const std::byte> data, std::uint64_t offset);
  // Every byte, however many writes it takes.
  Task<void> write_all_at(std::span<const std::byte> data, std::uint64_t offset);
  // Data and metadata (data_only: fdatasync).
  Task<void> fsync(bool data_only = false);
  // Closes through the ring; idempotent.
  Task<void> close();

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  const std::string& path() const noexcept { return path_; }

 private:
  int checked_fd(const char* what) const;
  int fd_ = -1;
  std::string path_;
};

}  // namespace skein
