// UnixStream and UnixListener (unix.hpp).
#include "skein/unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "io/accept.hpp"
#include "io/socket_util.hpp"

namespace skein {

using io::throw_errno;

namespace {

// A sockaddr_un for `path` ('@' = abstract) and its length.
struct UnixAddress {
  sockaddr_un sun{};
  socklen_t size = 0;
};

UnixAddress unix_address(const std::string& path, const char* what) {
  UnixAddress a;
  a.sun.sun_family = AF_UNIX;
  if (path.empty()) throw std::invalid_argument(std::string(what) + ": empty path");
  const bool abstract = path[0] == '@';
  // Filesystem paths need their terminating NUL in sun_path; abstract names
  // take the whole field after the leading NUL.
  const std::size_t room = sizeof a.sun.sun_path - (abstract ? 0 : 1);
  if (path.size() > room)
    throw std::invalid_argument(std::string(what) + ": '" + path + "' is longer than the " + std::to_string(room) +
                                " bytes a unix socket address holds");
  std::memcpy(a.sun.sun_path, path.data(), path.size());
  if (abstract) a.sun.sun_path[0] = '\0';
  a.size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return a;
}

bool is_socket_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Whether a socket in this network namespace listens on `path`, from
// /proc/net/unix (a listening socket has __SO_ACCEPTCON, 0x10000, in its
// flags). Asking by connecting would leave a connection in the live
// listener's backlog for its server to accept. If /proc cannot say: true, so
// that nothing is removed.
bool someone_listens(const std::string& path) {
  std::FILE* f = std::fopen("/proc/net/unix", "re");
  if (!f) return true;
  char line[4096];
  bool listening = false;
  std::fgets(line, sizeof line, f);  // the header
  while (!listening && std::fgets(line, sizeof line, f)) {
    unsigned long flags = 0;
    int path_at = -1;
    // Num RefCount Protocol Flags Type St Inode [Path]
    if (std::sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &path_at) < 1 || path_at < 0) continue;
    std::string entry(line + path_at);
    while (!entry.empty() && (entry.back() == '\n' || entry.back() == ' ')) entry.pop_back();
    listening = entry == path && (flags & 0x10000);
  }
  std::fclose(f);
  return listening;
}

}  // namespace

const ByteStream::Names UnixStream::names_{"UnixStream", "UnixStream::read", "UnixStream::read_exact",
                                           "UnixStream::write", "UnixStream::write_all"};

Task<UnixStream> UnixStream::connect(std::string path) {
  const UnixAddress a = unix_address(path, "skein::UnixStream::connect");
  UnixStream s(io::make_socket(AF_UNIX, SOCK_STREAM, "skein::UnixStream::connect"));
  const int fd = s.native_handle();
  const auto* sa = reinterpret_cast<const sockaddr*>(&a.sun);
  const int r = co_await io::connect_socket(fd, sa, a.size, "UnixStream::connect");
  if (r < 0) throw_errno(-r, "skein::UnixStream::connect to '" + path + "'");
  co_return s;
}

std::pair<UnixStream, UnixStream> UnixStream::pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw_errno(errno, "skein::UnixStream::pair");
  return {UnixStream(fds[0]), UnixStream(fds[1])};
}

PeerCredentials UnixStream::peer_credentials() const {
  ucred c{};
  socklen_t len = sizeof c;
  if (::getsockopt(checked_fd("peer_credentials"), SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
    throw_errno(errno, "skein::UnixStream::peer_credentials");
  return {c.pid, c.uid, c.gid};
}

UnixListener UnixListener::bind(std::string path, int backlog, Stale stale) {
  const UnixAddress a = unix_address(path, "skein::UnixListener::bind");
  if (backlog <= 0) throw std::invalid_argument("skein::UnixListener::bind: backlog must be positive");
  if (stale == replace_stale && path[0] != '@' && is_socket_file(path) && !someone_listens(path)) ::unlink(path.c_str());
  UnixListener l;
  l.adopt_fd(io::make_socket(AF_UNIX, SOCK_STREAM, "skein::UnixListener::bind"));
  l.path_ = std::move(path);
  if (::bind(l.native_handle(), reinterpret_cast<const sockaddr*>(&a.sun), a.size) < 0)
    throw_errno(errno, "skein::UnixListener::bind '" + l.path_ + "'");
  if (::listen(l.native_handle(), backlog) < 0) throw_errno(errno, "skein::UnixListener::listen '" + l.path_ + "'");
  return l;
}

Task<UnixStream> UnixListener::accept() { co_return UnixStream(co_await accept_fd()); }

}  // namespace skein
