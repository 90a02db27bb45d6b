// Creates the Parker a worker sleeps in. Called on the worker's own thread, so
// the ring it creates has that thread as its single issuer.
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "io/io_context.hpp"
#include "io/io_parker.hpp"
#include "runtime/parker.hpp"
#include "skein/detail/context.hpp"

namespace skein::io {

thread_local IoParker* tls_io_parker = nullptr;
thread_local int tls_io_setup_errno = 0;
namespace {
thread_local std::string tls_io_setup_message;

// Unregisters the worker's ring fd on the worker thread when it exits (the
// registration is per thread; the ring itself is destroyed later, on the
// thread that destroys the runtime).
struct RingFdRegistration {
  IoParker* parker = nullptr;
  ~RingFdRegistration() {
    if (parker) parker->ring().unregister_fd();
  }
};
thread_local RingFdRegistration tls_ring_fd_registration;
}  // namespace

int worker_ring_error() noexcept { return tls_io_setup_errno; }

void forget_thread_parker(IoParker* p) noexcept {
  if (tls_ring_fd_registration.parker == p) {
    p->ring().unregister_fd();
    tls_ring_fd_registration.parker = nullptr;
  }
  if (tls_io_parker == p) tls_io_parker = nullptr;
}

namespace {
[[noreturn]] void throw_no_ring(const char* what) {
  throw std::system_error(tls_io_setup_errno ? tls_io_setup_errno : ENOSYS, std::system_category(),
                          std::string("skein::") + what + ": io_uring is unavailable on this worker (" +
                              tls_io_setup_message + ")");
}
}  // namespace

IoParker& IoParker::current(const char* what) {
  if (IoParker* p = tls_io_parker) [[likely]]
    return *p;
  if (!detail::tls_context.worker)
    throw std::logic_error(std::string("skein::") + what +
                           ": I/O and timers can only be awaited inside a task run by a skein::Runtime worker");
  throw_no_ring(what);
}

IoParker& IoParker::current_with_ring(const char* what) {
  IoParker& p = current(what);
  if (!p.has_ring()) [[unlikely]]
    throw_no_ring(what);
  return p;
}

}  // namespace skein::io

namespace skein::detail {

std::unique_ptr<Parker> make_worker_parker(std::size_t worker_index) {
  try {
    // For tests of the fallback path, and for users who must avoid io_uring.
    if (const char* v = std::getenv("SKEIN_DISABLE_IO_URING"); v && *v && std::string_view(v) != "0")
      throw std::system_error(ENOSYS, std::system_category(), "skein: io_uring disabled by SKEIN_DISABLE_IO_URING");
    auto p = std::make_unique<io::IoParker>(worker_index);
    p->ring().register_fd();
    io::tls_ring_fd_registration.parker = p.get();
    io::tls_io_parker = p.get();
    return p;
  } catch (const std::system_error& e) {
    // The runtime still runs: timers and sockets through epoll, files on the
    // blocking pool; this cause is kept for whoever asks for the ring.
    io::tls_io_setup_errno = e.code().value();
    io::tls_io_setup_message = e.what();
    io::tls_io_parker = nullptr;
  }
  try {
    auto p = std::make_unique<io::IoParker>(worker_index, io::IoParker::WithoutRing{});
    io::tls_io_parker = p.get();
    return p;
  } catch (const std::system_error&) {
    return std::make_unique<Parker>();  // not even an eventfd: no timers either (current() says so)
  }
}

}  // namespace skein::detail
