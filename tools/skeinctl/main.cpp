// skeinctl: read a live skein process's scheduler statistics.
//
//   skeinctl PID                 the snapshot as JSON (the default)
//   skeinctl --prometheus PID    Prometheus text exposition format
//   skeinctl --top PID [-n N] [-i MS]   per-worker rates, refreshed every MS ms, N times
//   skeinctl --socket NAME ...   another runtime of the process ("skein-<pid>.<n>")
//
// The process must run its Runtime with Options::stats_socket = true, or have
// SKEIN_STATS=1 in its environment.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "stats_client.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "skeinctl: %s\n"
               "usage: skeinctl [--json | --prometheus | --top [-n COUNT] [-i MILLISECONDS]] [--socket NAME] PID\n",
               why.c_str());
  std::exit(2);
}

long parse_positive(const std::string& s, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v <= 0) usage(std::string(what) + " must be a positive number, not '" + s + "'");
  return v;
}

void print_prometheus(const skeinctl::Snapshot& s) {
  for (const auto& [key, value] : s.runtime) {
    if (key == "pid") continue;
    std::printf("# TYPE skein_%s gauge\nskein_%s %llu\n", key.c_str(), key.c_str(), static_cast<unsigned long long>(value));
  }
  if (s.workers.empty()) return;
  for (const auto& [key, unused] : s.workers.front()) {
    const bool gauge = key == "local_queue_depth" || key == "pending_timers";
    const std::string name = "skein_worker_" + key + (gauge ? "" : "_total");
    std::printf("# TYPE %s %s\n", name.c_str(), gauge ? "gauge" : "counter");
    for (std::size_t w = 0; w < s.workers.size(); ++w)
      std::printf("%s{worker=\"%zu\"} %llu\n", name.c_str(), w,
                  static_cast<unsigned long long>(s.workers[w].at(key)));
  }
}

std::uint64_t get(const std::map<std::string, std::uint64_t>& m, const char* k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

void print_top(const std::string& socket, long count, long interval_ms) {
  skeinctl::Snapshot prev = skeinctl::parse(skeinctl::fetch_json(socket));
  for (long i = 0; i < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    skeinctl::Snapshot now = skeinctl::parse(skeinctl::fetch_json(socket));
    const double secs = interval_ms / 1000.0;
    std::printf("%s  live tasks %llu  injection %llu  searching %llu  sleeping %llu  blocking threads %llu\n",
                socket.c_str(), static_cast<unsigned long long>(get(now.runtime, "live_tasks")),
                static_cast<unsigned long long>(get(now.runtime, "injection_queue_depth")),
                static_cast<unsigned long long>(get(now.runtime, "searching_workers")),
                static_cast<unsigned long long>(get(now.runtime, "sleeping_workers")),
                static_cast<unsigned long long>(get(now.runtime, "blocking_threads")));
    std::printf("%6s %12s %12s %10s %10s %10s %8s %8s\n", "worker", "polls/s", "spawns/s", "steals/s", "yields/s",
                "parks/s", "queue", "timers");
    for (std::size_t w = 0; w < now.workers.size() && w < prev.workers.size(); ++w) {
      auto rate = [&](const char* k) { return double(get(now.workers[w], k) - get(prev.workers[w], k)) / secs; };
      std::printf("%6zu %12.0f %12.0f %10.0f %10.0f %10.0f %8llu %8llu\n", w, rate("polls"), rate("spawned"),
                  rate("stolen"), rate("yields"), rate("parks"),
                  static_cast<unsigned long long>(get(now.workers[w], "local_queue_depth")),
                  static_cast<unsigned long long>(get(now.workers[w], "pending_timers")));
    }
    std::printf("\n");
    std::fflush(stdout);
    prev = std::move(now);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "json", socket, pid;
  long count = 1000000, interval_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    if (a == "--json") mode = "json";
    else if (a == "--prometheus") mode = "prometheus";
    else if (a == "--top") mode = "top";
    else if (a == "-n") count = parse_positive(value(), "-n");
    else if (a == "-i") interval_ms = parse_positive(value(), "-i");
    else if (a == "--socket") socket = value();
    else if (a == "-h" || a == "--help") usage("read a live skein process's scheduler stats");
    else if (!a.empty() && a[0] == '-') usage("unknown option " + a);
    else pid = a;
  }
  if (socket.empty()) {
    if (pid.empty()) usage("which process? give its PID");
    socket = "skein-" + std::to_string(parse_positive(pid, "PID"));
  }
  try {
    if (mode == "top") {
      print_top(socket, count, interval_ms);
      return 0;
    }
    const std::string json = skeinctl::fetch_json(socket);
    if (mode == "json") {
      skeinctl::parse(json);  // refuse to pass on something that is not a stats document
      std::fputs(json.c_str(), stdout);
    } else {
      print_prometheus(skeinctl::parse(json));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skeinctl: %s\n", e.what());
    return 1;
  }
  return 0;
}
