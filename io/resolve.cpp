// lookup_host: numeric addresses inline, names through getaddrinfo on the
// blocking pool. See resolve.hpp.
#include "skein/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "skein/blocking.hpp"

namespace skein {

namespace {

class ResolveCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "skein.resolve"; }
  std::string message(int code) const override { return gai_strerror(code); }
};

bool same(const SocketAddr& a, const SocketAddr& b) noexcept {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Runs on a blocking-pool thread.
std::vector<SocketAddr> resolve_blocking(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  // EAI_AGAIN (the DNS server did not answer) is reported, not retried:
  // how long to keep trying is the caller's policy.
  const int r = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (r != 0) {
    const std::error_code ec = r == EAI_SYSTEM ? std::error_code(errno, std::system_category())
                                               : std::error_code(r, resolve_category());
    throw std::system_error(ec, "skein::lookup_host '" + host + "'");
  }
  std::vector<SocketAddr> out;
  for (const addrinfo* ai = list; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SocketAddr a = SocketAddr::from(ai->ai_addr, ai->ai_addrlen);
    if (std::none_of(out.begin(), out.end(), [&](const SocketAddr& b) { return same(a, b); }))
      out.push_back(a);
  }
  ::freeaddrinfo(list);
  if (out.empty())
    throw std::system_error(std::error_code(EAI_NONAME, resolve_category()),
                            "skein::lookup_host '" + host + "': no IPv4 or IPv6 address");
  return out;
}

}  // namespace

const std::error_category& resolve_category() noexcept {
  static const ResolveCategory category;
  return category;
}

Task<std::vector<SocketAddr>> lookup_host(std::string host, std::uint16_t port) {
  if (host.empty()) throw std::invalid_argument("skein::lookup_host: empty host name");
  if (auto a = SocketAddr::try_parse(host, port)) co_return std::vector<SocketAddr>{*a};
  co_return co_await spawn_blocking([host = std::move(host), port] { return resolve_blocking(host, port); });
}

}  // namespace skein
