// The accept loop every listener shares (accept.hpp).
#include "io/accept.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include "io/operation.hpp"
#include "io/socket_util.hpp"
#include "skein/time.hpp"

namespace skein::io {

Task<int> accept_socket(int listen_fd, std::atomic<std::uint64_t>& exhausted, const char* what) {
  auto backoff = std::chrono::milliseconds(1);
  for (;;) {
    const int r = co_await submit(what, [&](io_uring_sqe* sqe) {
      io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    });
    if (r >= 0) co_return r;
    if (r == -EMFILE || r == -ENFILE) {
      // Out of descriptors: the pending connection stays in the backlog;
      // give the open connections time to finish and close.
      exhausted.fetch_add(1, std::memory_order_relaxed);
      co_await sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
      continue;
    }
    if (r == -ECONNABORTED || r == -EINTR) continue;  // the client gave up before we accepted: next one
    throw_errno(-r, std::string("skein::") + what);
  }
}

}  // namespace skein::io
