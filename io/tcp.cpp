// TcpStream and TcpListener on the worker's ring (tcp.hpp).
#include "skein/tcp.hpp"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include "io/accept.hpp"
#include "io/happy_eyeballs.hpp"
#include "io/socket_util.hpp"
#include "skein/resolve.hpp"

namespace skein {

using io::throw_errno;

const ByteStream::Names TcpStream::names_{"TcpStream", "TcpStream::read", "TcpStream::read_exact", "TcpStream::write",
                                         "TcpStream::write_all"};

Task<TcpStream> TcpStream::connect(SocketAddr addr) {
  if (addr.size() == 0) throw std::invalid_argument("skein::TcpStream::connect: empty address");
  TcpStream s(io::make_socket(addr.family(), SOCK_STREAM, "skein::TcpStream::connect"));
  const int fd = s.native_handle();
  const int r = co_await io::connect_socket(fd, addr.data(), addr.size(), "TcpStream::connect");
  if (r < 0) throw_errno(-r, "skein::TcpStream::connect to " + addr.to_string());
  co_return s;
}

Task<TcpStream> TcpStream::connect(std::string host, std::uint16_t port, std::chrono::milliseconds attempt_delay) {
  std::vector<SocketAddr> addrs = co_await lookup_host(host, port);
  std::string tried;
  try {
    co_return co_await io::connect_racing(io::interleave_families(std::move(addrs)), attempt_delay, tried);
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), "skein::TcpStream::connect to '" + host + "' (tried " + tried + ")");
  }
}

void TcpStream::set_nodelay(bool on) {
  const int v = on ? 1 : 0;
  if (::setsockopt(checked_fd("set_nodelay"), IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0)
    throw_errno(errno, "skein::TcpStream::set_nodelay");
}

SocketAddr TcpStream::peer_addr() const { return io::peer_addr_of(checked_fd("peer_addr"), "skein::TcpStream::peer_addr"); }
SocketAddr TcpStream::local_addr() const {
  return io::local_addr_of(checked_fd("local_addr"), "skein::TcpStream::local_addr");
}

// ---------------------------------------------------------------- listener

TcpListener TcpListener::bind(std::string_view ip, std::uint16_t port, int backlog) {
  return bind(SocketAddr::parse(ip, port), backlog);
}

TcpListener TcpListener::bind(const SocketAddr& addr, int backlog) {
  if (addr.size() == 0) throw std::invalid_argument("skein::TcpListener::bind: empty address");
  if (backlog <= 0) throw std::invalid_argument("skein::TcpListener::bind: backlog must be positive");
  TcpListener l;
  l.adopt_fd(io::make_socket(addr.family(), SOCK_STREAM, "skein::TcpListener::bind"));
  const int fd = l.native_handle();
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    throw_errno(errno, "skein::TcpListener::bind: SO_REUSEADDR");
  if (addr.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, addr.data(), addr.size()) < 0) throw_errno(errno, "skein::TcpListener::bind " + addr.to_string());
  if (::listen(fd, backlog) < 0) throw_errno(errno, "skein::TcpListener::listen " + addr.to_string());
  return l;
}

Task<TcpStream> TcpListener::accept() { co_return TcpStream(co_await accept_fd()); }

SocketAddr TcpListener::local_addr() const {
  return io::local_addr_of(checked_fd("local_addr"), "skein::TcpListener::local_addr");
}

}  // namespace skein
