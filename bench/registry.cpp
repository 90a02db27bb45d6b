#include "registry.hpp"

#include <string>

namespace skein_bench {

namespace {
std::vector<Workload>& registry() {
  static std::vector<Workload> all;  // function-local: filled during static initialisation
  return all;
}
}  // namespace

bool detail::add_workload(Workload (*describe)()) {
  registry().push_back(describe());
  return true;
}

const std::vector<Workload>& workloads() { return registry(); }

bool expect_eq(benchmark::State& state, std::int64_t got, std::int64_t want, std::string_view what) {
  if (got == want) return true;
  const std::string msg =
      "WRONG RESULT: " + std::string(what) + " = " + std::to_string(got) + ", expected " + std::to_string(want);
  state.SkipWithError(msg.c_str());
  return false;
}

}  // namespace skein_bench
