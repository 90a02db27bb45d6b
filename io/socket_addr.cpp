// SocketAddr: parsing and printing IPv4/IPv6 addresses (socket_addr.hpp).
#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "skein/socket_addr.hpp"

namespace skein {

std::optional<SocketAddr> SocketAddr::try_parse(std::string_view ip, std::uint16_t port) noexcept {
  if (ip == "localhost") ip = "127.0.0.1";
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  SocketAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  return a;
}

SocketAddr SocketAddr::parse(std::string_view ip, std::uint16_t port) {
  if (auto a = try_parse(ip, port)) return *a;
  throw std::invalid_argument("skein::SocketAddr::parse: '" + std::string(ip) +
                              "' is not a numeric IPv4/IPv6 address (resolve host names with skein::lookup_host)");
}

SocketAddr SocketAddr::from(const sockaddr* sa, socklen_t len) {
  if (len > capacity()) throw std::invalid_argument("skein::SocketAddr::from: address too long");
  SocketAddr a;
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

std::uint16_t SocketAddr::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddr::ip() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
  else if (family() == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
  else
    return "(none)";
  return buf;
}

std::string SocketAddr::to_string() const {
  if (family() == AF_INET6) return "[" + ip() + "]:" + std::to_string(port());
  return ip() + ":" + std::to_string(port());
}

}  // namespace skein
