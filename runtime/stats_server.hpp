// StatsServer: lets skeinctl read a live process's scheduler statistics.
//
// When Options::stats_socket is set (or SKEIN_STATS=1 is in the environment),
// the runtime listens on the abstract unix socket "@skein-<pid>" (the first
// runtime of the process; later ones "@skein-<pid>.<n>"). Every connection
// gets one JSON snapshot (stats_json) and is closed; nothing is read from the
// client. Abstract sockets leave no file behind and die with the process.
//
// THREAD SAFETY: one thread ("skein-stats") serves; the snapshot is the
// relaxed read of RuntimeStats. stop() from the owner, once.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "skein/stats.hpp"

namespace skein::detail {

// The JSON document skeinctl reads (also used by tests).
std::string stats_json(const RuntimeStats& s, int pid);

class StatsServer {
 public:
  // Starts serving; throws std::system_error if the socket cannot be made.
  explicit StatsServer(std::function<RuntimeStats()> snapshot);
  ~StatsServer();
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  const std::string& name() const noexcept { return name_; }  // without the leading '@'

 private:
  void serve();

  std::function<RuntimeStats()> snapshot_;
  std::string name_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: written to stop the thread
  std::thread thread_;
};

}  // namespace skein::detail
