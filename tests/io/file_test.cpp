// File: write/fsync/read round trip, errors, cancellation of a pending close.
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "skein/file.hpp"

using skein::File;
using skein::Task;

namespace {
std::string temp_path(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/skein_io_" + name + "_" + std::to_string(::getpid());
}
}  // namespace

TEST(File, WriteFsyncReadRoundTrip) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  const std::string path = temp_path("roundtrip");
  const int fds_before = skein::test::open_fd_count();
  rt.block_on([](std::string path) -> Task<void> {
    std::vector<std::byte> data(3 * 1024 * 1024 + 17);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<unsigned char>(i * 7 + (i >> 11)));
    {
      File f = co_await File::open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
      co_await f.write_all_at(data, 0);
      co_await f.fsync();
      co_await f.fsync(true);
      co_await f.close();
      EXPECT_FALSE(f.is_open());
      co_await f.close();  // idempotent
    }
    File f = co_await File::open(path, O_RDONLY);
    std::vector<std::byte> back(data.size() + 100);
    std::size_t got = 0;
    for (int i = 0; i < 1000; ++i) {
      const std::size_t n = co_await f.read_at(std::span(back).subspan(got), got);
      if (n == 0) break;
      got += n;
    }
    EXPECT_EQ(got, data.size());
    back.resize(got);
    EXPECT_TRUE(back == data);
    // Reading at an offset in the middle.
    std::array<std::byte, 16> small;
    EXPECT_EQ(co_await f.read_at(small, 1000), small.size());
    EXPECT_EQ(small[0], data[1000]);
  }(path));
  ::unlink(path.c_str());
  EXPECT_EQ(skein::test::open_fd_count(), fds_before);
}

TEST(File, OpenErrorsNameThePath) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  rt.block_on([]() -> Task<void> {
    try {
      co_await File::open("/nonexistent/skein/file", O_RDONLY);
      ADD_FAILURE() << "opened";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOENT);
      EXPECT_NE(std::string(e.what()).find("/nonexistent/skein/file"), std::string::npos) << e.what();
    }
    File closed;
    std::array<std::byte, 4> buf;
    EXPECT_THROW(co_await closed.read_at(buf, 0), std::logic_error);
  }());
}
