#include "stats_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace skeinctl {

std::string fetch_json(const std::string& socket_name) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_name.size() + 1 > sizeof addr.sun_path) {
    ::close(fd);
    throw std::runtime_error("socket name too long: " + socket_name);
  }
  std::memcpy(addr.sun_path + 1, socket_name.data(), socket_name.size());
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + socket_name.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot connect to @" + socket_name + ": " + std::strerror(e) +
                             " (is the process running, with Options::stats_socket or SKEIN_STATS=1?)");
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (out.empty()) throw std::runtime_error("@" + socket_name + " sent nothing");
  return out;
}

namespace {

// A parser for exactly the shape stats_json() writes: an object of unsigned
// numbers and one array ("workers") of such objects.
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Snapshot document() {
    Snapshot snap;
    expect('{');
    do {
      const std::string key = string();
      expect(':');
      if (key == "workers") {
        expect('[');
        if (!peek(']')) {
          do snap.workers.push_back(flat_object());
          while (accept(','));
        }
        expect(']');
      } else {
        snap.runtime[key] = number();
      }
    } while (accept(','));
    expect('}');
    return snap;
  }

 private:
  std::map<std::string, std::uint64_t> flat_object() {
    std::map<std::string, std::uint64_t> m;
    expect('{');
    do {
      const std::string key = string();
      expect(':');
      m[key] = number();
    } while (accept(','));
    expect('}');
    return m;
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool peek(char c) {
    skip_space();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string() {
    expect('"');
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"') ++i_;
    if (i_ >= s_.size()) fail("unterminated string");
    return s_.substr(start, i_++ - start);
  }
  std::uint64_t number() {
    skip_space();
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) fail("expected a number");
    std::uint64_t v = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) v = v * 10 + (s_[i_++] - '0');
    return v;
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("bad stats document at byte " + std::to_string(i_) + ": " + what);
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

}  // namespace

Snapshot parse(const std::string& json) { return Parser(json).document(); }

}  // namespace skeinctl
