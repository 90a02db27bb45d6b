// Racing connection attempts (RFC 8305) for TcpStream::connect.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "skein/task.hpp"
#include "skein/tcp.hpp"


namespace skein::io {

// The addresses reordered so that families alternate, starting with the
// family of the first one (RFC 8305 section 4); within a family the order is
// kept (the resolver's preference).
std::vector<SocketAddr> interleave_families(std::vector<SocketAddr> addrs);

// The race itself. Throws std::system_error with the deciding error's code
// (and no text: the callers name what was tried); `tried` lists every
// address that failed, with why.
Task<TcpStream> connect_racing(std::vector<SocketAddr> addrs, std::chrono::milliseconds attempt_delay,
                               std::string& tried);

}  // namespace skein::io
