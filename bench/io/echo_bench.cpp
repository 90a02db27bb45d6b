// echo: loopback TCP echo, 64 connections, each sending a `size`-byte message
// and waiting for the whole echo before the next (closed loop); one
// iteration is kMessagesPerConnection messages on every connection.
//
// The server under test runs in this process with `workers` threads:
//   skein  a Runtime, one task per connection as in the echo_server example,
//          but thread-per-core like the baseline: connection k is pinned to
//          worker k mod workers (spawn_on)
//   uring  a second baseline: a bare io_uring loop per thread, no runtime
//          (bare_uring_server.hpp), the floor for a runtime on io_uring
//   epoll  the baseline: a plain thread-per-core epoll server, one epoll
//          instance per thread; thread 0 accepts and gives connection k to
//          thread k mod threads (as the skein server does, so both spread
//          the load evenly and the same way every run), read/write on
//          non-blocking sockets
// The load generator is the same for both: one plain epoll thread (the
// benchmark's own) on the same two cores. It competes with the server for
// CPU, so messages per second saturate near the same figure for any good
// server; what separates servers is the CPU the server's own threads spend
// per message, reported as the counter server_us_per_msg (from
// /proc/self/task/*/schedstat of the threads named srv-*).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "io/bare_uring_server.hpp"
#include "io/loopback_listener.hpp"
#include "registry.hpp"
#include "runners.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

namespace {

constexpr int kConnections = 64;
constexpr int kMessagesPerConnection = 200;

// CPU time (ns) of this process's threads whose name starts with "srv-".
std::uint64_t server_cpu_ns() {
  std::uint64_t total = 0;
  DIR* d = opendir("/proc/self/task");
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string dir = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(dir + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("srv-", 0) != 0) continue;
    std::ifstream sched(dir + "/schedstat");
    std::uint64_t on_cpu_ns = 0;
    sched >> on_cpu_ns;
    total += on_cpu_ns;
  }
  closedir(d);
  return total;
}

// ---- the skein server ----

skein::Task<void> echo_connection(skein::TcpStream s) {
  std::vector<std::byte> buf(16 * 1024);
  try {
    while (std::size_t n = co_await s.read(buf)) co_await s.write_all(std::span(buf).first(n));
  } catch (const std::exception&) {
    // The client went away.
  }
}

// Thread-per-core, like the epoll baseline: connection k is pinned to worker
// k mod workers (spawn_on), so each connection is served by one ring.
skein::Task<void> accept_loop(skein::TcpListener& listener, std::size_t workers) {
  for (std::size_t next = 0;; ++next) {
    skein::TcpStream s = co_await listener.accept();
    s.set_nodelay(true);
    skein::spawn_on(next % workers, echo_connection(std::move(s))).detach();
  }
}

class SkeinServer {
 public:
  explicit SkeinServer(int workers)
      : rt_(skein::Options{.workers = static_cast<std::size_t>(workers), .thread_name_prefix = "srv-w"}),
        listener_(skein::TcpListener::bind("127.0.0.1", 0)) {
    loop_ = rt_.spawn(accept_loop(listener_, rt_.worker_count()));
  }
  ~SkeinServer() { rt_.shutdown(); }  // destroys the accept loop and the connections
  std::uint16_t port() const { return listener_.local_port(); }

 private:
  skein::Runtime rt_;
  skein::TcpListener listener_;
  skein::JoinHandle<void> loop_;
};

// ---- the epoll baseline ----

class EpollServer {
 public:
  explicit EpollServer(int threads) {
    listen_fd_ = bench_io::listen_on_loopback(SOCK_NONBLOCK, port_, "epoll baseline");
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    for (int i = 0; i < threads; ++i) epoll_fds_.push_back(::epoll_create1(EPOLL_CLOEXEC));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
  }
  ~EpollServer() {
    const std::uint64_t v = 1;
    [[maybe_unused]] ssize_t r = ::write(stop_fd_, &v, sizeof v);
    for (auto& t : threads_) t.join();
    for (int c : conns_) ::close(c);
    for (int ep : epoll_fds_) ::close(ep);
    ::close(stop_fd_);
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void run(int index) {
    pthread_setname_np(pthread_self(), ("srv-e" + std::to_string(index)).c_str());
    const int ep = epoll_fds_[static_cast<std::size_t>(index)];
    epoll_event ev{};
    if (index == 0) {
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd_;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd_, &ev);
    }
    ev.events = EPOLLIN;
    ev.data.fd = stop_fd_;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd_, &ev);
    char buf[16 * 1024];
    epoll_event events[64];
    for (bool running = true; running;) {
      const int n = ::epoll_wait(ep, events, 64, -1);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stop_fd_) {
          running = false;
        } else if (fd == listen_fd_) {
          for (int c; (c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
            const int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            epoll_event cev{};
            cev.events = EPOLLIN;
            cev.data.fd = c;
            // epoll_ctl on another thread's instance is safe: it takes the
            // instance's own lock.
            ::epoll_ctl(epoll_fds_[accepted_++ % epoll_fds_.size()], EPOLL_CTL_ADD, c, &cev);
            conns_.push_back(c);
          }
        } else {
          const ssize_t r = ::read(fd, buf, sizeof buf);
          if (r <= 0) {
            if (r < 0 && errno == EAGAIN) continue;
            ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
            continue;
          }
          for (ssize_t off = 0; off < r;) {  // small messages: the socket buffer has room
            const ssize_t w = ::send(fd, buf + off, static_cast<std::size_t>(r - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN) continue;
            if (w <= 0) break;
            off += w;
          }
        }
      }
    }
  }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::size_t accepted_ = 0;    // thread 0 only
  std::vector<int> conns_;      // thread 0 only, until the join
  std::vector<int> epoll_fds_;  // one per thread
  std::vector<std::thread> threads_;
};

// ---- the bare io_uring baseline (bare_uring_server.hpp) ----

class UringServer : public bench_io::BareUringServer {
 public:
  explicit UringServer(int threads) : BareUringServer(threads, kConnections) {}
};

// ---- the load generator (the same for every server) ----
//
// Plain epoll on the benchmark's own thread: its cost per message does not
// change with the skein under test, so a change in skein moves only the skein
// server's figure. (A skein client would move the baseline too: how often a
// server wakes up depends on how the client answers.)

class EpollLoad {
 public:
  explicit EpollLoad(std::uint16_t port) : ep_(::epoll_create1(EPOLL_CLOEXEC)) {
    const sockaddr_in a = bench_io::loopback_address(port);
    for (int i = 0; i < kConnections; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0) conns_.push_back(Conn{fd, 0, 0, {}});
      if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const int err = errno;
        close_all();
        throw std::system_error(err, std::generic_category(), "echo load: connect");
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }
  }
  ~EpollLoad() { close_all(); }

  // kMessagesPerConnection closed-loop round trips on every connection;
  // returns how many echoes came back intact (-1: the server stalled for 5 s).
  std::int64_t run(std::size_t size) {
    std::vector<std::byte> expected(size);
    std::int64_t ok = 0;
    int active = 0;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].message = 0;
      conns_[i].received = 0;
      conns_[i].in.resize(size);
      send_message(static_cast<int>(i), 0, size, expected);
      ++active;
    }
    epoll_event events[64];
    while (active > 0) {
      const int n = ::epoll_wait(ep_, events, 64, 5000);
      if (n <= 0) return -1;
      for (int e = 0; e < n; ++e) {
        const int id = static_cast<int>(events[e].data.u32);
        Conn& c = conns_[static_cast<std::size_t>(id)];
        const ssize_t r = ::read(c.fd, c.in.data() + c.received, size - c.received);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) return -1;
        c.received += static_cast<std::size_t>(r);
        if (c.received < size) continue;
        fill(expected, id, c.message);
        ok += c.in == expected;
        c.received = 0;
        if (++c.message < kMessagesPerConnection)
          send_message(id, c.message, size, expected);
        else
          --active;
      }
    }
    return ok;
  }

 private:
  struct Conn {
    int fd;
    int message = 0;
    std::size_t received = 0;
    std::vector<std::byte> in;  // the echo being received
  };
  void close_all() noexcept {
    for (Conn& c : conns_) ::close(c.fd);
    conns_.clear();
    ::close(ep_);
  }
  static void fill(std::vector<std::byte>& b, int id, int m) {
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(id * 31 + m * 7 + static_cast<int>(i));
  }
  void send_message(int id, int m, std::size_t size, std::vector<std::byte>& scratch) {
    fill(scratch, id, m);
    for (std::size_t off = 0; off < size;) {  // 64 bytes: the socket buffer has room
      const ssize_t w = ::send(conns_[static_cast<std::size_t>(id)].fd, scratch.data() + off, size - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EAGAIN) continue;
      if (w <= 0) throw std::system_error(errno, std::generic_category(), "echo load: send");
      off += static_cast<std::size_t>(w);
    }
  }

  int ep_;
  std::vector<Conn> conns_;
};

template <class Server>
void run_echo(benchmark::State& state, const skein_bench::Params& p) {
  try {
    Server server(p.workers);
    EpollLoad client(server.port());
    const std::size_t size = static_cast<std::size_t>(p.size);
    const std::int64_t per_iteration = std::int64_t{kConnections} * kMessagesPerConnection;
    skein_bench::BusyCores busy;
    const std::uint64_t cpu0 = server_cpu_ns();
    std::int64_t iterations = 0;
    for (auto _ : state) {
      if (!skein_bench::expect_eq(state, client.run(size), per_iteration, "intact echoes")) return;
      ++iterations;
    }
    const double server_ns = static_cast<double>(server_cpu_ns() - cpu0);
    busy.report(state);
    if (iterations > 0)
      state.counters["server_us_per_msg"] = server_ns / 1e3 / static_cast<double>(iterations * per_iteration);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

double echo_messages(long) { return static_cast<double>(kConnections) * kMessagesPerConnection; }

}  // namespace

SKEIN_BENCH_WORKLOAD(echo) {
  return {.name = "echo",
          .sizes = {64},
          .quick_sizes = {64},
          .tasks = echo_messages,
          .impls = {{"skein", run_echo<SkeinServer>},
                    {"epoll", run_echo<EpollServer>},
                    {"uring", run_echo<UringServer>}}};
}
