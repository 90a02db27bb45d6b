// StatsServer: see stats_server.hpp.
#include "runtime/stats_server.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>

namespace skein::detail {

namespace {

std::atomic<int> servers_started{0};

void append_worker(std::ostringstream& o, const WorkerStats& w) {
  o << "{\"polls\":" << w.polls << ",\"spawned\":" << w.spawned << ",\"completed\":" << w.completed
    << ",\"lifo_polls\":" << w.lifo_polls << ",\"stolen\":" << w.stolen << ",\"steal_attempts\":" << w.steal_attempts
    << ",\"injection_polls\":" << w.injection_polls << ",\"overflows\":" << w.overflows << ",\"yields\":" << w.yields
    << ",\"parks\":" << w.parks << ",\"local_queue_depth\":" << w.local_queue_depth
    << ",\"pending_timers\":" << w.pending_timers << "}";
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away: its loss
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string stats_json(const RuntimeStats& s, int pid) {
  std::ostringstream o;
  o << "{\"pid\":" << pid << ",\"injection_queue_depth\":" << s.injection_queue_depth
    << ",\"blocking_threads\":" << s.blocking_threads << ",\"blocking_idle_threads\":" << s.blocking_idle_threads
    << ",\"live_tasks\":" << s.live_tasks << ",\"searching_workers\":" << s.searching_workers
    << ",\"sleeping_workers\":" << s.sleeping_workers << ",\"workers\":[";
  for (std::size_t i = 0; i < s.workers.size(); ++i) {
    if (i) o << ",";
    append_worker(o, s.workers[i]);
  }
  o << "]}\n";
  return o.str();
}

StatsServer::StatsServer(std::function<RuntimeStats()> snapshot) : snapshot_(std::move(snapshot)) {
  const int n = servers_started.fetch_add(1);
  name_ = "skein-" + std::to_string(::getpid()) + (n ? "." + std::to_string(n) : "");
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::system_error(errno, std::generic_category(), "skein stats socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Abstract namespace: sun_path starts with a NUL byte.
  std::memcpy(addr.sun_path + 1, name_.data(), name_.size());
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listen_fd_, 16) != 0) {
    const int e = errno;
    ::close(listen_fd_);
    throw std::system_error(e, std::generic_category(), "skein stats socket @" + name_);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    const int e = errno;
    ::close(listen_fd_);
    throw std::system_error(e, std::generic_category(), "skein stats eventfd");
  }
  thread_ = std::thread([this] { serve(); });
}

StatsServer::~StatsServer() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
  ::close(listen_fd_);
}

void StatsServer::serve() {
  pthread_setname_np(pthread_self(), "skein-stats");
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    write_all(c, stats_json(snapshot_(), ::getpid()));
    ::close(c);
  }
}

}  // namespace skein::detail
