// Unix domain sockets: a path and an abstract name, socketpair, the peer's
// credentials, stale socket files, clear errors, and the shared ByteStream
// behaviour (timeouts, end of stream, cancellation) through a UnixStream.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "io_test_util.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/unix.hpp"

using namespace std::chrono_literals;
using skein::Task;
using skein::UnixListener;
using skein::UnixStream;

namespace {

// A fresh directory for socket files, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/skein-unix-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::system_error(errno, std::system_category(), "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Task<std::string> echo_once(UnixListener& l) {
  UnixStream s = co_await l.accept();
  char buf[64];
  const std::size_t n = co_await s.read(std::span<char>(buf, sizeof buf));
  co_await s.write_all(std::string_view(buf, n));
  co_return std::string(buf, n);
}

Task<std::string> round_trip(const std::string& path, std::string msg) {
  UnixStream c = co_await UnixStream::connect(path);
  co_await c.write_all(msg);
  std::string back(msg.size(), '\0');
  co_await c.read_exact(std::span<char>(back.data(), back.size()));
  co_return back;
}

std::string abstract_name() { return "@skein-test-" + std::to_string(::getpid()); }

}  // namespace

TEST(Unix, EchoOverAPathAndAnAbstractName) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  TempDir dir;
  for (const std::string& where : {dir.file("echo.sock"), abstract_name()}) {
    auto l = UnixListener::bind(where);
    EXPECT_EQ(l.path(), where);
    auto server = rt.spawn(echo_once(l));
    EXPECT_EQ(rt.block_on(round_trip(where, "hello over " + where)), "hello over " + where);
    EXPECT_EQ(server.wait(), "hello over " + where);
  }
  struct stat st {};
  EXPECT_EQ(::lstat(dir.file("echo.sock").c_str(), &st), 0) << "the socket file was not created";
}

TEST(Unix, PairAndPeerCredentials) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto [a, b] = UnixStream::pair();
  const skein::PeerCredentials who = a.peer_credentials();
  EXPECT_EQ(who.pid, ::getpid());
  EXPECT_EQ(who.uid, ::getuid());
  EXPECT_EQ(who.gid, ::getgid());
  rt.block_on([](UnixStream& a, UnixStream& b) -> Task<void> {
    co_await a.write_all("ping");
    a.shutdown();
    char buf[8];
    co_await b.read_exact(std::span<char>(buf, 4));
    EXPECT_EQ(std::string_view(buf, 4), "ping");
    EXPECT_EQ(co_await b.read(std::span<char>(buf, 8)), 0u);  // end of stream after shutdown
    EXPECT_THROW(co_await b.read_exact(std::span<char>(buf, 1)), skein::unexpected_eof);
  }(a, b));
}

TEST(Unix, ReadTimeoutAndCancelOnAUnixStream) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  auto [a, b] = UnixStream::pair();
  rt.block_on([](UnixStream& a) -> Task<void> {
    a.set_read_timeout(30ms);
    char buf[4];
    try {
      (void)co_await a.read(std::span<char>(buf, 4));
      ADD_FAILURE() << "read returned with nothing sent";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ETIMEDOUT) << e.what();
      EXPECT_NE(std::string(e.what()).find("UnixStream::read"), std::string::npos) << e.what();
    }
  }(a));
  auto reader = rt.spawn([](UnixStream& b) -> Task<std::size_t> {
    char buf[4];
    co_return co_await b.read(std::span<char>(buf, 4));
  }(b));
  std::this_thread::sleep_for(10ms);
  reader.cancel();
  EXPECT_THROW(reader.wait(), skein::operation_canceled);
}

TEST(Unix, StaleSocketFilesAndClearErrors) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  TempDir dir;
  const std::string path = dir.file("stale.sock");
  { auto gone = UnixListener::bind(path); }  // closed: its file stays behind
  try {
    (void)UnixListener::bind(path);
    ADD_FAILURE() << "bound over a stale socket file without being asked to";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  auto live = UnixListener::bind(path, 16, UnixListener::replace_stale);  // nobody listened: replaced
  EXPECT_THROW((void)UnixListener::bind(path, 16, UnixListener::replace_stale), std::system_error)
      << "replaced a socket somebody listens on";
  auto server = rt.spawn(echo_once(live));
  EXPECT_EQ(rt.block_on(round_trip(path, "still mine")), "still mine");
  EXPECT_EQ(server.wait(), "still mine");

  try {
    rt.block_on(UnixStream::connect(dir.file("nobody.sock")));
    ADD_FAILURE() << "connected to a path that does not exist";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("nobody.sock"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)UnixListener::bind(""), std::invalid_argument);
  EXPECT_THROW((void)UnixListener::bind("/tmp/" + std::string(200, 'x')), std::invalid_argument);
  EXPECT_THROW(rt.block_on(UnixStream::connect(std::string(200, 'y'))), std::invalid_argument);
  UnixListener closed;
  EXPECT_THROW(rt.block_on(closed.accept()), std::logic_error);
  UnixStream none;
  EXPECT_THROW(rt.block_on(none.write_all("x")), std::logic_error);
}

TEST(Unix, ManyClientsAtOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  const std::string name = abstract_name() + "-many";
  auto l = UnixListener::bind(name);
  constexpr int kClients = 50;
  const int ok = rt.block_on([](UnixListener& l, std::string name) -> Task<int> {
    std::vector<skein::JoinHandle<std::string>> servers, clients;
    for (int i = 0; i < kClients; ++i) servers.push_back(skein::spawn(echo_once(l)));
    for (int i = 0; i < kClients; ++i) clients.push_back(skein::spawn(round_trip(name, "client " + std::to_string(i))));
    int ok = 0;
    for (int i = 0; i < kClients; ++i) ok += (co_await clients[static_cast<std::size_t>(i)]) == "client " + std::to_string(i);
    for (auto& s : servers) (void)co_await s;
    co_return ok;
  }(l, name));
  EXPECT_EQ(ok, kClients);
}
