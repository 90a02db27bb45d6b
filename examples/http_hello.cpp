// http_hello PORT [-w WORKERS] [-a ADDRESS]
//
// A minimal HTTP/1.1 server answering "hello" to every request, one task per
// connection, keep-alive and pipelining. Robust to bad input: a malformed
// request gets 400, a request head over 8 KiB gets 431; either way the
// connection is closed and the server keeps running. A connection silent for
// 30 s is closed. Measure it with
//   wrk -t2 -c64 -d10s http://127.0.0.1:PORT/
#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

namespace {

constexpr std::size_t kMaxHead = 8 * 1024;
constexpr std::size_t kMaxBody = 1024 * 1024;

constexpr std::string_view kHello =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view kHelloKeepAlive10 =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello";
constexpr std::string_view kHelloClose =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr std::string_view kTooLarge =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr std::string_view kBodyTooLarge =
    "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Request {
  bool ok = false;
  bool keep_alive = true;
  bool http10 = false;
  std::size_t body = 0;
  bool body_too_large = false;
};

// Parses a request head (without the final CRLF CRLF).
Request parse_head(std::string_view head) {
  Request r;
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) return r;
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  for (char c : method)
    if (c < 'A' || c > 'Z') return r;
  if (target.empty() || target.find(' ') != std::string_view::npos) return r;
  if (version == "HTTP/1.1") {
    r.keep_alive = true;
  } else if (version == "HTTP/1.0") {
    r.http10 = true;
    r.keep_alive = false;
  } else {
    return r;
  }
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    const auto e = rest.find("\r\n");
    const std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    const auto colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return r;
    const std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
    if (iequals(name, "connection")) {
      if (iequals(value, "close")) r.keep_alive = false;
      else if (iequals(value, "keep-alive")) r.keep_alive = true;
    } else if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 12) return r;
      std::size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return r;
        n = n * 10 + std::size_t(c - '0');
      }
      r.body = n;
      if (n > kMaxBody) r.body_too_large = true;
    } else if (iequals(name, "transfer-encoding")) {
      return r;  // chunked bodies are not supported by this tiny server: 400
    }
  }
  r.ok = true;
  return r;
}

// Sends an error response and closes gracefully: stop writing, then read and
// drop what the client still sends (at most 64 KiB, at most 1 s), so that the
// close does not turn into a reset that destroys the response in flight.
skein::Task<void> drain(skein::TcpStream& s) {
  std::vector<char> sink(16 * 1024);
  for (std::size_t total = 0; total < 64 * 1024;) {
    const std::size_t n = co_await s.read(std::span<char>(sink));
    if (n == 0) break;
    total += n;
  }
}

skein::Task<void> reject(skein::TcpStream& s, std::string_view response) {
  co_await s.write_all(response);
  s.shutdown(skein::TcpStream::Shutdown::write);
  s.set_read_timeout(std::chrono::seconds(1));
  try {
    co_await drain(s);
  } catch (const std::system_error&) {
  }
}

skein::Task<void> serve_connection(skein::TcpStream s) {
  // An idle keep-alive connection (or a client that stops mid-request) is
  // closed after this long without a byte.
  s.set_read_timeout(std::chrono::seconds(30));
  s.set_write_timeout(std::chrono::seconds(30));
  std::vector<char> buf(kMaxHead + 1);
  std::size_t have = 0;
  try {
    for (;;) {
      // Read until the end of the head is in the buffer.
      std::size_t head_end;
      for (;;) {
        const std::string_view data(buf.data(), have);
        head_end = data.find("\r\n\r\n");
        if (head_end != std::string_view::npos) break;
        if (have >= kMaxHead) {
          co_await reject(s, kTooLarge);
          co_return;
        }
        const std::size_t n = co_await s.read(std::span<char>(buf.data() + have, kMaxHead + 1 - have));
        if (n == 0) co_return;
        have += n;
      }
      const Request req = parse_head(std::string_view(buf.data(), head_end));
      if (!req.ok) {
        co_await reject(s, kBadRequest);
        co_return;
      }
      if (req.body_too_large) {
        co_await reject(s, kBodyTooLarge);
        co_return;
      }
      // Drop the head and the body (reading what is not yet here).
      std::size_t consumed = head_end + 4;
      std::size_t body_left = req.body;
      const std::size_t in_buf = std::min(body_left, have - consumed);
      consumed += in_buf;
      body_left -= in_buf;
      std::memmove(buf.data(), buf.data() + consumed, have - consumed);
      have -= consumed;
      while (body_left > 0) {
        const std::size_t n = co_await s.read(std::span<char>(buf.data(), std::min(body_left, buf.size())));
        if (n == 0) co_return;
        body_left -= n;
      }
      if (!req.keep_alive) {
        co_await s.write_all(kHelloClose);
        co_return;
      }
      co_await s.write_all(req.http10 ? kHelloKeepAlive10 : kHello);
    }
  } catch (const std::system_error&) {
    // Reset by the peer: this connection only.
  }
}

skein::Task<void> serve(skein::TcpListener& listener) {
  for (;;) {
    skein::TcpStream s = co_await listener.accept();
    s.set_nodelay(true);
    skein::spawn(serve_connection(std::move(s))).detach();
  }
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "http_hello: %s\nusage: http_hello PORT [-w WORKERS] [-a ADDRESS]\n", msg);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  long port = -1, workers = 0;
  std::string address = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-w" || a == "-a") && i + 1 >= argc) usage(("missing value after " + a).c_str());
    if (a == "-w") workers = std::strtol(argv[++i], nullptr, 10);
    else if (a == "-a") address = argv[++i];
    else if (port < 0) port = std::strtol(a.c_str(), nullptr, 10);
    else usage(("unexpected argument " + a).c_str());
  }
  if (port < 0 || port > 65535) usage("PORT must be 0..65535");
  if (workers < 0) usage("WORKERS must not be negative");
  try {
    auto listener = skein::TcpListener::bind(address, static_cast<std::uint16_t>(port), 4096);
    skein::Runtime rt(skein::Options{.workers = static_cast<std::size_t>(workers)});
    std::printf("http_hello listening on http://%s/ (%zu workers)\n", listener.local_addr().to_string().c_str(),
                rt.worker_count());
    std::fflush(stdout);
    rt.block_on(serve(listener));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_hello: %s\n", e.what());
    return 1;
  }
}
