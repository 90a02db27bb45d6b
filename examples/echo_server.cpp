// echo_server PORT [-w WORKERS] [-t SECONDS] [-a ADDRESS]
//
// The classic echo server: one task per connection, every byte read is
// written back. With -t it stops after SECONDS and prints the CPU time it used
// (user+system, from getrusage), so a benchmark can report CPU per message.
// Without -t it runs until SIGINT or SIGTERM, then shuts down and exits 0.
#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "skein/runtime.hpp"
#include "skein/signal.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

namespace {

skein::Task<void> echo(skein::TcpStream s) {
  std::vector<std::byte> buf(16 * 1024);
  try {
    for (;;) {
      const std::size_t n = co_await s.read(buf);
      if (n == 0) break;
      co_await s.write_all(std::span(buf).first(n));
    }
  } catch (const std::system_error&) {
    // The peer reset or went away: drop this connection only.
  }
}

skein::Task<void> serve(skein::TcpListener& listener) {
  for (;;) {
    skein::TcpStream s = co_await listener.accept();
    s.set_nodelay(true);
    skein::spawn(echo(std::move(s))).detach();
  }
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "echo_server: %s\nusage: echo_server PORT [-w WORKERS] [-t SECONDS] [-a ADDRESS]\n", msg);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  long port = -1, workers = 0, seconds = 0;
  std::string address = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "-w") workers = std::strtol(value().c_str(), nullptr, 10);
    else if (a == "-t") seconds = std::strtol(value().c_str(), nullptr, 10);
    else if (a == "-a") address = value();
    else if (port < 0) port = std::strtol(a.c_str(), nullptr, 10);
    else usage(("unexpected argument " + a).c_str());
  }
  if (port < 0 || port > 65535) usage("PORT must be 0..65535");
  if (workers < 0 || seconds < 0) usage("WORKERS and SECONDS must not be negative");
  try {
    auto listener = skein::TcpListener::bind(address, static_cast<std::uint16_t>(port), 4096);
    skein::Runtime rt(skein::Options{.workers = static_cast<std::size_t>(workers)});
    // Without -t: caught from before "listening" is printed, so a SIGTERM
    // sent by whoever reads that line always finds the listener.
    std::optional<skein::SignalListener> stop;
    if (seconds == 0) stop.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
    std::printf("echo_server listening on %s (%zu workers)\n", listener.local_addr().to_string().c_str(),
                rt.worker_count());
    std::fflush(stdout);
    if (seconds == 0) {
      // Until SIGINT (Ctrl-C) or SIGTERM: then stop accepting, let the
      // runtime close what is open, and say what was left.
      auto server = rt.spawn(serve(listener));
      const int signo = rt.block_on(stop->recv());
      server.cancel();
      try {
        server.wait();
      } catch (const skein::operation_canceled&) {
        // what we asked for
      }
      const skein::ShutdownReport report = rt.shutdown();  // the connection tasks still open
      std::printf("echo_server: %s, stopped; %zu connections were open\n", strsignal(signo), report.unfinished_tasks);
      return 0;
    }
    const double cpu0 = cpu_seconds();
    auto server = rt.spawn(serve(listener));
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const double cpu = cpu_seconds() - cpu0;
    std::printf("RESULT server_cpu_s=%.3f seconds=%ld\n", cpu, seconds);
    std::fflush(stdout);
    server.cancel();
    rt.shutdown();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
}
