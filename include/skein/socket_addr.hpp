// SocketAddr: an IPv4 or IPv6 address and port, as the socket calls take it.
//
//   auto a = skein::SocketAddr::parse("127.0.0.1", 8080);   // numeric only
//   auto all = co_await skein::lookup_host("example.com", 443);  // names: resolve.hpp
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skein {

// An IPv4 or IPv6 address and port.
class SocketAddr {
 public:
  SocketAddr() = default;
  // `ip` is a numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]",
  // "0.0.0.0", "::") or "localhost". Throws std::invalid_argument otherwise
  // (host names: skein::lookup_host, resolve.hpp).
  static SocketAddr parse(std::string_view ip, std::uint16_t port);
  // The same without throwing: nullopt if `ip` is not numeric (or localhost).
  static std::optional<SocketAddr> try_parse(std::string_view ip, std::uint16_t port) noexcept;
  static SocketAddr from(const sockaddr* sa, socklen_t len);

  int family() const noexcept { return storage_.ss_family; }
  std::uint16_t port() const noexcept;
  std::string ip() const;
  std::string to_string() const;  // "1.2.3.4:80", "[::1]:80"

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return len_; }
  void set_size(socklen_t n) noexcept { len_ = n; }
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace skein
