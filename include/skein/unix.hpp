// Unix domain stream sockets over io_uring: local IPC with a sidecar, a
// supervisor or a CLI, by path or in the abstract namespace.
//
//   auto listener = skein::UnixListener::bind("/run/myapp.sock");   // or "@myapp": abstract
//   skein::UnixStream s = co_await listener.accept();
//   skein::PeerCredentials who = s.peer_credentials();           // pid, uid, gid of the peer
//   co_await s.write_all("hello\n");
//
//   skein::UnixStream c = co_await skein::UnixStream::connect("/run/myapp.sock");
//   auto [a, b] = skein::UnixStream::pair();                      // connected, no path
//
// UnixStream is a ByteStream (byte_stream.hpp: reads, writes, timeouts,
// errors, cancellation, who may call what). A path that starts with '@'
// names an abstract socket (Linux: no file, gone with its last fd); any other
// is a filesystem path of at most 107 bytes (std::invalid_argument beyond).
// bind() does not remove an existing file: a path left by a previous run is
// EADDRINUSE, with the path in the message; UnixListener::bind(path,
// backlog, UnixListener::replace_stale) removes a socket file nobody listens
// on first. The listener's file is not removed when it closes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "skein/byte_stream.hpp"
#include "skein/listener_socket.hpp"
#include "skein/task.hpp"

namespace skein {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class UnixStream : public ByteStream {
 public:
  UnixStream() noexcept : ByteStream(-1, names_) {}
  explicit UnixStream(int fd) noexcept : ByteStream(fd, names_) {}  // takes ownership of a connected socket
  UnixStream(UnixStream&&) noexcept = default;
  UnixStream& operator=(UnixStream&&) noexcept = default;

  static Task<UnixStream> connect(std::string path);
  // Two streams connected to each other (socketpair), e.g. for a child process.
  static std::pair<UnixStream, UnixStream> pair();

  // Of the process at the other end, as it was when the connection was made
  // (SO_PEERCRED).
  PeerCredentials peer_credentials() const;

 private:
  static const Names names_;
};

class UnixListener : public ListenerSocket {
 public:
  enum Stale { keep_stale, replace_stale };

  UnixListener() noexcept : ListenerSocket("UnixListener", "UnixListener::accept") {}
  UnixListener(UnixListener&&) noexcept = default;
  UnixListener& operator=(UnixListener&&) noexcept = default;

  // Binds and listens. May be called from any thread. Throws std::system_error
  // (with the path) or std::invalid_argument (empty or too long a path).
  static UnixListener bind(std::string path, int backlog = 1024, Stale stale = keep_stale);

  // The next connection (ListenerSocket: backs off when out of descriptors).
  Task<UnixStream> accept();

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace skein
