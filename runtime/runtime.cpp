// skein::Runtime: the public face of the Scheduler; CPU discovery.
#include "skein/runtime.hpp"

#include <sched.h>

#include <fstream>
#include <string>

#include "runtime/scheduler.hpp"

namespace skein {

namespace {

// cgroup v2 "cpu.max": "<quota> <period>" or "max <period>".
std::size_t cgroup_cpu_limit() {
  std::ifstream f("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (!(f >> quota >> period) || quota == "max" || period <= 0) return 0;
  const long long q = std::stoll(quota);
  if (q <= 0) return 0;
  return static_cast<std::size_t>((q + period - 1) / period);
}

}  // namespace

std::size_t available_cpus() noexcept {
  std::size_t n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = static_cast<std::size_t>(CPU_COUNT(&set));
  if (n == 0) n = 1;
  try {
    const std::size_t limit = cgroup_cpu_limit();
    if (limit > 0 && limit < n) n = limit;
  } catch (...) {
    // An unreadable or odd cpu.max only means no quota is applied.
  }
  return n;
}

Runtime::Runtime(Options options) : scheduler_(std::make_unique<detail::Scheduler>(options)) {}

Runtime::~Runtime() {
  if (scheduler_) scheduler_->shutdown();
}

ShutdownReport Runtime::shutdown() { return scheduler_->shutdown(); }

std::size_t Runtime::worker_count() const noexcept { return scheduler_->worker_count(); }

RuntimeStats Runtime::stats() const { return scheduler_->stats(); }

std::string Runtime::stats_socket_name() const { return scheduler_->stats_socket_name(); }

}  // namespace skein
