// skeinctl against this very process: a runtime serving its stats socket,
// read by the real skeinctl binary in a child process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

#include "runtime/stats_server.hpp"
#include "skein/skein.hpp"
#include "tools/skeinctl/stats_client.hpp"

namespace {

// Runs skeinctl with `args`, returns its stdout; the exit status in *status.
std::string run_skeinctl(const std::string& args, int* status) {
  const std::string cmd = std::string(SKEINCTL_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  *status = ::pclose(p);
  return out;
}

skein::Task<void> work() {
  for (int i = 0; i < 1000; ++i) co_await skein::spawn([]() -> skein::Task<int> { co_return 1; }());
}

TEST(Skeinctl, ReadsJsonAndPrometheusFromALiveProcess) {
  skein::Runtime rt(skein::Options{.workers = 2, .stats_socket = true});
  ASSERT_EQ(rt.stats_socket_name(), "skein-" + std::to_string(::getpid()));
  rt.block_on(work());

  int status = -1;
  const std::string json = run_skeinctl(std::to_string(::getpid()), &status);
  ASSERT_EQ(status, 0) << json;
  const skeinctl::Snapshot snap = skeinctl::parse(json);
  ASSERT_EQ(snap.workers.size(), 2u);
  EXPECT_EQ(snap.runtime.at("pid"), static_cast<std::uint64_t>(::getpid()));
  std::uint64_t spawned = snap.workers[0].at("spawned") + snap.workers[1].at("spawned");
  EXPECT_GE(spawned, 1000u);

  const std::string prom = run_skeinctl("--prometheus " + std::to_string(::getpid()), &status);
  ASSERT_EQ(status, 0) << prom;
  EXPECT_NE(prom.find("skein_worker_polls_total{worker=\"1\"}"), std::string::npos) << prom;
  EXPECT_NE(prom.find("# TYPE skein_worker_local_queue_depth gauge"), std::string::npos) << prom;
  EXPECT_NE(prom.find("# TYPE skein_worker_pending_timers gauge"), std::string::npos) << prom;

  const std::string top = run_skeinctl("--top -n 1 -i 50 " + std::to_string(::getpid()), &status);
  ASSERT_EQ(status, 0) << top;
  EXPECT_NE(top.find("polls/s"), std::string::npos) << top;
}

TEST(Skeinctl, ClearErrorsForMisuse) {
  int status = -1;
  // A process with no stats socket (pid 1 is never this test's runtime).
  std::string out = run_skeinctl("1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("cannot connect"), std::string::npos) << out;
  out = run_skeinctl("--top -n zero 1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("positive number"), std::string::npos) << out;
  out = run_skeinctl("", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("PID"), std::string::npos) << out;
}

TEST(Skeinctl, ParserRejectsOtherDocuments) {
  EXPECT_THROW(skeinctl::parse("{\"workers\": [ {\"polls\": -1} ]}"), std::runtime_error);
  EXPECT_THROW(skeinctl::parse("not json"), std::runtime_error);
  skein::RuntimeStats s;
  s.workers.resize(3);
  s.workers[2].polls = 42;
  s.live_tasks = 7;
  const auto snap = skeinctl::parse(skein::detail::stats_json(s, 99));
  ASSERT_EQ(snap.workers.size(), 3u);
  EXPECT_EQ(snap.workers[2].at("polls"), 42u);
  EXPECT_EQ(snap.runtime.at("live_tasks"), 7u);
  EXPECT_EQ(snap.runtime.at("pid"), 99u);
}

}  // namespace
