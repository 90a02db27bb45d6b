// skein::lookup_host: the socket addresses a host name and port stand for.
//
//   std::vector<skein::SocketAddr> all = co_await skein::lookup_host("example.com", 443);
//   skein::TcpStream s = co_await skein::TcpStream::connect("example.com", 443);  // tries each
//
// A numeric address ("10.0.0.1", "::1", "[::1]") or "localhost" is parsed at
// once, without a thread hop. A name goes to getaddrinfo(3) on the blocking
// pool (spawn_blocking), because the resolver blocks (files, DNS, NSS
// modules): a slow DNS server stalls this lookup, never a worker. The result
// keeps getaddrinfo's order (the system's address preference), without
// duplicates.
//
// Errors: an empty host throws std::invalid_argument; a name that does not
// resolve throws std::system_error whose message names the host and carries
// getaddrinfo's own text ("skein::lookup_host 'nosuch.invalid': Name or
// service not known"); its code is in resolve_category(), whose values are
// the EAI_* codes.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "skein/socket_addr.hpp"
#include "skein/task.hpp"

namespace skein {

Task<std::vector<SocketAddr>> lookup_host(std::string host, std::uint16_t port);

// The error category of failed lookups (values: EAI_NONAME, EAI_AGAIN, ...).
const std::error_category& resolve_category() noexcept;

}  // namespace skein
