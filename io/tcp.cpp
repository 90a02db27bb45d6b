// TcpStream and TcpListener on the worker's ring (tcp.hpp).
#include "skein/tcp.hpp"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>
#include <vector>

#include "io/operation.hpp"
#include "io/socket_util.hpp"
#include "skein/resolve.hpp"
#include "skein/time.hpp"

namespace skein {

using io::throw_errno;

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.release();
    read_timeout_ns_ = o.read_timeout_ns_;
    write_timeout_ns_ = o.write_timeout_ns_;
  }
  return *this;
}

void TcpStream::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

int TcpStream::checked_fd(const char* what) const {
  if (fd_ < 0) throw std::logic_error(std::string("skein::TcpStream::") + what + ": the stream is not open");
  return fd_;
}

Task<TcpStream> TcpStream::connect(SocketAddr addr) {
  if (addr.size() == 0) throw std::invalid_argument("skein::TcpStream::connect: empty address");
  TcpStream s(io::make_socket(addr.family(), SOCK_STREAM, "skein::TcpStream::connect"));
  const int fd = s.fd_;
  const int r = co_await io::submit("TcpStream::connect",
                                    [&](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, fd, addr.data(), addr.size()); });
  if (r < 0) throw_errno(-r, "skein::TcpStream::connect to " + addr.to_string());
  co_return s;
}

namespace {

// Errors after which the next address of a name may still work.
bool try_next_address(const std::error_code& ec) noexcept {
  if (ec.category() != std::system_category()) return false;
  switch (ec.value()) {
    case ECONNREFUSED:
    case ETIMEDOUT:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Task<TcpStream> TcpStream::connect(std::string host, std::uint16_t port) {
  const std::vector<SocketAddr> addrs = co_await lookup_host(host, port);
  std::string tried;
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    try {
      co_return co_await connect(addrs[i]);
    } catch (const std::system_error& e) {
      if (!try_next_address(e.code())) throw;  // e.g. no io_uring: the next address would not help
      tried += (tried.empty() ? "" : ", ") + addrs[i].to_string();
      if (i + 1 == addrs.size())
        throw std::system_error(e.code(), "skein::TcpStream::connect to '" + host + "' (tried " + tried + ")");
    }
  }
  throw std::logic_error("skein::TcpStream::connect: lookup_host returned no address");  // unreachable
}

Task<std::size_t> TcpStream::read(std::span<std::byte> buf) {
  const int fd = checked_fd("read");
  if (buf.empty()) co_return 0;
  const int r = co_await io::submit("TcpStream::read", [&](io_uring_sqe* sqe) {
    io_uring_prep_recv(sqe, fd, buf.data(), buf.size(), 0);
  }, read_timeout_ns_);
  if (r < 0) throw_errno(-r, "skein::TcpStream::read");
  co_return static_cast<std::size_t>(r);
}

Task<void> TcpStream::read_exact(std::span<std::byte> buf) {
  const int fd = checked_fd("read_exact");
  std::size_t done = 0;
  while (done < buf.size()) {
    std::byte* p = buf.data() + done;
    const std::size_t left = buf.size() - done;
    const int r = co_await io::submit("TcpStream::read_exact", [&](io_uring_sqe* sqe) {
      io_uring_prep_recv(sqe, fd, p, left, MSG_WAITALL);
    }, read_timeout_ns_);
    if (r < 0) throw_errno(-r, "skein::TcpStream::read_exact");
    if (r == 0)
      throw unexpected_eof("skein::TcpStream::read_exact: end of stream after " + std::to_string(done) + " of " +
                           std::to_string(buf.size()) + " bytes");
    done += static_cast<std::size_t>(r);
  }
}

Task<std::size_t> TcpStream::write(std::span<const std::byte> buf) {
  const int fd = checked_fd("write");
  if (buf.empty()) co_return 0;
  const int r = co_await io::submit("TcpStream::write", [&](io_uring_sqe* sqe) {
    io_uring_prep_send(sqe, fd, buf.data(), buf.size(), MSG_NOSIGNAL);
  }, write_timeout_ns_);
  if (r < 0) throw_errno(-r, "skein::TcpStream::write");
  co_return static_cast<std::size_t>(r);
}

Task<void> TcpStream::write_all(std::span<const std::byte> buf) {
  const int fd = checked_fd("write_all");
  std::size_t done = 0;
  while (done < buf.size()) {
    const std::byte* p = buf.data() + done;
    const std::size_t left = buf.size() - done;
    const int r = co_await io::submit("TcpStream::write_all", [&](io_uring_sqe* sqe) {
      io_uring_prep_send(sqe, fd, p, left, MSG_NOSIGNAL | MSG_WAITALL);
    }, write_timeout_ns_);
    if (r < 0) throw_errno(-r, "skein::TcpStream::write_all");
    done += static_cast<std::size_t>(r);  // a short write: send the rest
  }
}

void TcpStream::shutdown(Shutdown how) {
  if (::shutdown(checked_fd("shutdown"), static_cast<int>(how)) < 0 && errno != ENOTCONN)
    throw_errno(errno, "skein::TcpStream::shutdown");
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

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    fd_exhausted_.store(o.fd_exhausted_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

void TcpListener::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

TcpListener TcpListener::bind(std::string_view ip, std::uint16_t port, int backlog) {
  return bind(SocketAddr::parse(ip, port), backlog);
}

TcpListener TcpListener::bind(const SocketAddr& addr, int backlog) {
  if (addr.size() == 0) throw std::invalid_argument("skein::TcpListener::bind: empty address");
  if (backlog <= 0) throw std::invalid_argument("skein::TcpListener::bind: backlog must be positive");
  TcpListener l;
  l.fd_ = io::make_socket(addr.family(), SOCK_STREAM, "skein::TcpListener::bind");
  const int one = 1;
  if (::setsockopt(l.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    throw_errno(errno, "skein::TcpListener::bind: SO_REUSEADDR");
  if (addr.family() == AF_INET6) ::setsockopt(l.fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(l.fd_, addr.data(), addr.size()) < 0) throw_errno(errno, "skein::TcpListener::bind " + addr.to_string());
  if (::listen(l.fd_, backlog) < 0) throw_errno(errno, "skein::TcpListener::listen " + addr.to_string());
  return l;
}

Task<TcpStream> TcpListener::accept() {
  if (fd_ < 0) throw std::logic_error("skein::TcpListener::accept: the listener is not open");
  const int fd = fd_;
  auto backoff = std::chrono::milliseconds(1);
  for (;;) {
    const int r = co_await io::submit("TcpListener::accept", [&](io_uring_sqe* sqe) {
      io_uring_prep_accept(sqe, fd, nullptr, nullptr, SOCK_CLOEXEC);
    });
    if (r >= 0) co_return TcpStream(r);
    if (r == -EMFILE || r == -ENFILE) {
      // Out of descriptors: the pending connection stays in the backlog;
      // give the open connections time to finish and close.
      fd_exhausted_.fetch_add(1, std::memory_order_relaxed);
      co_await sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
      continue;
    }
    if (r == -ECONNABORTED || r == -EINTR) continue;  // the client gave up before we accepted: next one
    throw_errno(-r, "skein::TcpListener::accept");
  }
}

SocketAddr TcpListener::local_addr() const {
  if (fd_ < 0) throw std::logic_error("skein::TcpListener::local_addr: the listener is not open");
  return io::local_addr_of(fd_, "skein::TcpListener::local_addr");
}

}  // namespace skein
