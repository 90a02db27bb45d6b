// UdpSocket on the worker's ring (udp.hpp).
#include "skein/udp.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "io/operation.hpp"
#include "io/readiness.hpp"
#include "io/socket_util.hpp"

namespace skein {

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void UdpSocket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

UdpSocket UdpSocket::bind(std::string_view ip, std::uint16_t port) { return bind(SocketAddr::parse(ip, port)); }

UdpSocket UdpSocket::bind(const SocketAddr& addr) {
  if (addr.size() == 0) throw std::invalid_argument("skein::UdpSocket::bind: empty address");
  UdpSocket s;
  s.fd_ = io::make_socket(addr.family(), SOCK_DGRAM, "skein::UdpSocket::bind");
  if (::bind(s.fd_, addr.data(), addr.size()) < 0) io::throw_errno(errno, "skein::UdpSocket::bind " + addr.to_string());
  return s;
}

Task<std::size_t> UdpSocket::send_to(std::span<const std::byte> data, SocketAddr to) {
  if (fd_ < 0) throw std::logic_error("skein::UdpSocket::send_to: the socket is not open");
  const int fd = fd_;
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_name = to.data();
  msg.msg_namelen = to.size();
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int r = io::readiness_mode()
                    ? co_await io::sendmsg_when_ready(fd, &msg, MSG_NOSIGNAL)
                    : co_await io::submit("UdpSocket::send_to", [&](io_uring_sqe* sqe) {
                        io_uring_prep_sendmsg(sqe, fd, &msg, MSG_NOSIGNAL);
                      });
  if (r < 0) io::throw_errno(-r, "skein::UdpSocket::send_to " + to.to_string());
  co_return static_cast<std::size_t>(r);
}

Task<UdpSocket::Received> UdpSocket::recv_from(std::span<std::byte> buf) {
  if (fd_ < 0) throw std::logic_error("skein::UdpSocket::recv_from: the socket is not open");
  const int fd = fd_;
  Received out;
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_name = out.from.data();
  msg.msg_namelen = SocketAddr::capacity();
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int r = io::readiness_mode() ? co_await io::recvmsg_when_ready(fd, &msg, SocketAddr::capacity())
                                     : co_await io::submit("UdpSocket::recv_from", [&](io_uring_sqe* sqe) {
                                         io_uring_prep_recvmsg(sqe, fd, &msg, 0);
                                       });
  if (r < 0) io::throw_errno(-r, "skein::UdpSocket::recv_from");
  out.from.set_size(msg.msg_namelen);
  out.size = static_cast<std::size_t>(r);
  out.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  co_return out;
}

SocketAddr UdpSocket::local_addr() const {
  if (fd_ < 0) throw std::logic_error("skein::UdpSocket::local_addr: the socket is not open");
  return io::local_addr_of(fd_, "skein::UdpSocket::local_addr");
}

}  // namespace skein
