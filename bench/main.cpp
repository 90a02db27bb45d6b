// skein_bench: the throughput suite (bench/README.md).
//
//   skein_bench [--workers 1,2] [--quick] [--progress] [Google Benchmark flags]
//
// --workers   the worker counts to sweep (default: 1, 2, 4, ... up to the CPUs
//             this process may use, and that number itself)
// --quick     the smaller sizes of a smoke run (each workload's quick_sizes)
// --progress  one line on stderr per measured repetition, as it finishes
// Every other flag goes to Google Benchmark (--benchmark_filter=fib, ...).
#include <sched.h>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "registry.hpp"

namespace {

struct Config {
  std::vector<int> workers;
  bool quick = false;
  bool progress = false;
  double min_time = 0.5;  // Google Benchmark's default
  long repetitions = 1;
  std::string filter = ".";
};

std::vector<int> default_workers() {
  cpu_set_t set;
  int cpus = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  std::vector<int> w;
  for (int n = 1; n < cpus; n *= 2) w.push_back(n);
  w.push_back(cpus);
  return w;
}

std::vector<int> parse_workers(std::string_view list) {
  std::vector<int> w;
  std::string s(list);
  for (char* tok = std::strtok(s.data(), ","); tok; tok = std::strtok(nullptr, ",")) {
    char* end = nullptr;
    long n = std::strtol(tok, &end, 10);
    if (*end != '\0' || n < 1 || n > 1024) {
      std::fprintf(stderr, "skein_bench: --workers wants a list like 1,2,4; '%s' is not a worker count\n", tok);
      std::exit(2);
    }
    w.push_back(static_cast<int>(n));
  }
  if (w.empty()) {
    std::fprintf(stderr, "skein_bench: --workers wants a list like 1,2,4\n");
    std::exit(2);
  }
  return w;
}

// Takes our own flags out of argv; leaves Google Benchmark's in place but
// peeks at the few the progress lines need.
Config parse_args(int& argc, char** argv) {
  Config c;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value_of = [&](std::string_view flag) -> const char* {
      if (a == flag) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "skein_bench: %s needs a value\n", argv[i]);
          std::exit(2);
        }
        return argv[++i];
      }
      if (a.size() > flag.size() && a.substr(0, flag.size()) == flag && a[flag.size()] == '=')
        return argv[i] + flag.size() + 1;
      return nullptr;
    };
    if (const char* v = value_of("--workers")) {
      c.workers = parse_workers(v);
      continue;
    }
    if (a == "--quick") {
      c.quick = true;
      continue;
    }
    if (a == "--progress") {
      c.progress = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::printf(
          "skein_bench [--workers 1,2,...] [--quick] [--progress] [Google Benchmark flags]\n"
          "  --workers LIST  worker counts to sweep (default: 1, 2, 4, ... and the CPUs this process may use)\n"
          "  --quick         the smaller sizes of a smoke run\n"
          "  --progress      a line on stderr per measured repetition\n"
          "Benchmarks are named <workload>/<runtime>/<size>/workers:<n>; see bench/README.md.\n\n");
    }
    if (const char* v = value_of("--benchmark_min_time")) c.min_time = std::strtod(v, nullptr);
    else if (const char* v = value_of("--benchmark_repetitions")) c.repetitions = std::strtol(v, nullptr, 10);
    else if (const char* v = value_of("--benchmark_filter")) c.filter = v;
    argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;
  if (c.workers.empty()) c.workers = default_workers();
  if (c.repetitions < 1) c.repetitions = 1;
  return c;
}

// Google Benchmark's filter: a regex, or a negative one with a leading '-'.
bool filter_matches(const std::string& filter, const std::string& name) {
  if (filter.empty() || filter == "all" || filter == ".") return true;
  try {
    if (filter[0] == '-') return !std::regex_search(name, std::regex(filter.substr(1)));
    return std::regex_search(name, std::regex(filter));
  } catch (const std::regex_error&) {
    return true;
  }
}

// Progress: Google Benchmark reports a benchmark only when all its
// repetitions are done (in a burst at the end with random interleaving), so
// the wrapper prints each measured call itself. A call counts as a measured
// repetition when its timed loop lasted at least min_time, the same rule
// Google Benchmark uses to accept an iteration count; the shorter calls are
// its iteration-count estimates.
struct Progress {
  bool enabled = false;
  double min_time = 0.5;
  int total = 0;
  int done = 0;

  void report(const std::string& name, benchmark::IterationCount iterations, double seconds, bool failed) {
    if (!enabled) return;
    if (failed) {
      std::fprintf(stderr, "[%3d/%d] %-40s FAILED\n", done, total, name.c_str());
      return;
    }
    if (seconds < min_time || iterations == 0) return;
    ++done;
    std::fprintf(stderr, "[%3d/%d] %-40s %6lld it  %10.3f ms/it\n", done, total, name.c_str(),
                 static_cast<long long>(iterations), seconds * 1e3 / static_cast<double>(iterations));
  }
};
Progress g_progress;
bool g_failed = false;  // some benchmark computed a wrong answer or threw

void register_all(const Config& c) {
  for (const skein_bench::Workload& w : skein_bench::workloads()) {
    const auto& sizes = c.quick && !w.quick_sizes.empty() ? w.quick_sizes : w.sizes;
    for (long size : sizes) {
      for (int workers : c.workers) {
        for (const skein_bench::Impl& impl : w.impls) {
          std::string name = w.name + "/" + impl.runtime + "/" + std::to_string(size) + "/workers:" + std::to_string(workers);
          skein_bench::Params p{size, workers};
          auto tasks = w.tasks;
          auto fn = impl.fn;
          benchmark::RegisterBenchmark(name.c_str(), [name, p, tasks, fn](benchmark::State& state) {
            const auto t0 = std::chrono::steady_clock::now();
            fn(state, p);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (tasks && !state.error_occurred())
              state.SetItemsProcessed(static_cast<int64_t>(tasks(p.size) * static_cast<double>(state.iterations())));
            if (state.error_occurred()) g_failed = true;
            g_progress.report(name, state.iterations(), seconds, state.error_occurred());
          })
              ->UseRealTime()
              ->Unit(benchmark::kMillisecond);
          if (filter_matches(c.filter, name)) g_progress.total += static_cast<int>(c.repetitions);
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Config c = parse_args(argc, argv);
  g_progress.enabled = c.progress;
  g_progress.min_time = c.min_time;
  register_all(c);
  // TBB's default limit is the machine's CPU count; a sweep past it
  // (--workers 1,2,4 on 2 cores) must get as many TBB threads as skein gets
  // workers, or the comparison is not the same oversubscription.
  const int max_workers = *std::max_element(c.workers.begin(), c.workers.end());
  tbb::global_control tbb_threads(tbb::global_control::max_allowed_parallelism,
                                  static_cast<std::size_t>(std::max(max_workers, static_cast<int>(std::thread::hardware_concurrency()))));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_failed) std::fprintf(stderr, "skein_bench: some benchmarks FAILED (ERROR OCCURRED in Google Benchmark's report)\n");
  return g_failed ? 1 : 0;
}
