// echo_load -c CONNS -s SIZE -d SECONDS [-w WORKERS] HOST:PORT
//
// A closed-loop load generator for echo servers, written on skein: CONNS
// connections, each sends a SIZE-byte message, waits for the whole echo,
// checks every byte, records the round-trip latency, and sends the next.
// Prints msgs/s and p50/p99/p999 latency; exits 1 if any byte came back wrong
// (or a connection failed), 2 on bad arguments.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "skein/join_handle.hpp"
#include "skein/resolve.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"
#include "skein/time.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct ConnResult {
  std::vector<std::uint32_t> latencies_ns;  // one per message (saturates at ~4 s)
  std::uint64_t mismatches = 0;
  std::string error;
};

skein::Task<void> run_connection(skein::SocketAddr addr, std::size_t size, Clock::time_point end, std::uint32_t id,
                                 ConnResult& out) {
  try {
    skein::TcpStream s = co_await skein::TcpStream::connect(addr);
    s.set_nodelay(true);
    std::vector<std::byte> msg(size), back(size);
    out.latencies_ns.reserve(1 << 16);
    for (std::uint32_t seq = 0; Clock::now() < end; ++seq) {
      // Every message differs (connection id, sequence number, offset).
      for (std::size_t i = 0; i < size; ++i) msg[i] = std::byte(static_cast<unsigned char>(id * 31 + seq * 7 + i));
      const auto t0 = Clock::now();
      co_await s.write_all(msg);
      co_await s.read_exact(back);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
      out.latencies_ns.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, UINT32_MAX)));
      if (std::memcmp(msg.data(), back.data(), size) != 0) ++out.mismatches;
    }
    s.shutdown();
  } catch (const skein::operation_canceled&) {
    out.error = "no complete echo within 5 s after the end of the run (cancelled)";
  } catch (const std::exception& e) {
    out.error = e.what();
  }
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "echo_load: %s\nusage: echo_load -c CONNS -s SIZE -d SECONDS [-w WORKERS] HOST:PORT\n", msg);
  std::exit(2);
}

double percentile_us(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  long conns = 64, size = 64, seconds = 5, workers = 0;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> long {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      char* end = nullptr;
      const long v = std::strtol(argv[++i], &end, 10);
      if (!end || *end) usage(("not a number after " + a).c_str());
      return v;
    };
    if (a == "-c") conns = value();
    else if (a == "-s") size = value();
    else if (a == "-d") seconds = value();
    else if (a == "-w") workers = value();
    else if (target.empty()) target = a;
    else usage(("unexpected argument " + a).c_str());
  }
  if (target.empty()) usage("HOST:PORT missing");
  if (conns < 1 || conns > 100000 || size < 1 || size > (64 << 20) || seconds < 1 || workers < 0)
    usage("need 1 <= CONNS <= 100000, 1 <= SIZE <= 64 MiB, SECONDS >= 1");
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) usage("HOST:PORT expected");
  int port = 0;
  try {
    port = std::stoi(target.substr(colon + 1));
  } catch (const std::exception& e) {
    usage(e.what());
  }
  if (port < 1 || port > 65535) usage("PORT must be 1..65535");

  std::vector<ConnResult> results(static_cast<std::size_t>(conns));
  skein::Runtime rt(skein::Options{.workers = static_cast<std::size_t>(workers)});
  skein::SocketAddr addr;
  try {  // HOST may be a name: the first address it resolves to
    addr = rt.block_on(skein::lookup_host(target.substr(0, colon), static_cast<std::uint16_t>(port))).front();
  } catch (const std::exception& e) {
    usage(e.what());
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  rt.block_on([](skein::SocketAddr addr, std::size_t size, Clock::time_point end,
                 std::vector<ConnResult>& results) -> skein::Task<void> {
    std::vector<skein::JoinHandle<void>> hs;
    for (std::size_t i = 0; i < results.size(); ++i)
      // Bounded in time even against a server that stops answering.
      hs.push_back(skein::spawn(skein::with_deadline(
          end + std::chrono::seconds(5), run_connection(addr, size, end, static_cast<std::uint32_t>(i), results[i]))));
    for (auto& h : hs) co_await h;
  }(addr, static_cast<std::size_t>(size), end, results));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<std::uint32_t> all;
  std::uint64_t mismatches = 0, failed = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    mismatches += r.mismatches;
    if (!r.error.empty()) {
      if (failed < 5) std::fprintf(stderr, "echo_load: connection failed: %s\n", r.error.c_str());
      ++failed;
    }
  }
  const double rate = double(all.size()) / elapsed;
  const double p50 = percentile_us(all, 0.50), p99 = percentile_us(all, 0.99), p999 = percentile_us(all, 0.999);
  std::printf("echo_load: %ld conns x %ld B for %.2f s: %zu msgs, %.0f msgs/s, p50 %.1f us, p99 %.1f us, p999 %.1f us\n",
              conns, size, elapsed, all.size(), rate, p50, p99, p999);
  std::printf("RESULT conns=%ld size=%ld msgs=%zu msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f mismatches=%llu "
              "failed_conns=%llu\n",
              conns, size, all.size(), rate, p50, p99, p999, static_cast<unsigned long long>(mismatches),
              static_cast<unsigned long long>(failed));
  if (mismatches) std::fprintf(stderr, "echo_load: %llu messages came back wrong\n", static_cast<unsigned long long>(mismatches));
  return (mismatches || failed) ? 1 : 0;
}
