// Ring: setup probe, SQE batching, CQE reaping. See ring.hpp.
#include "io/ring.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace skein::io {

namespace {

std::string setup_hint(int err) {
  switch (err) {
    case ENOSYS:
      return "the kernel has no io_uring, or a seccomp profile (e.g. Docker's default) blocks io_uring_setup";
    case EPERM:
      return "io_uring is disabled (sysctl kernel.io_uring_disabled) or blocked by a seccomp profile";
    case ENOMEM:
      return "not enough locked memory for the ring (ulimit -l)";
    case EMFILE:
    case ENFILE:
      return "out of file descriptors";
    default:
      return "io_uring_setup refused";
  }
}

}  // namespace

Ring::Ring(unsigned entries) {
  // Most capable first. EINVAL means "this kernel does not know a flag": try
  // fewer; any other error will not go away with fewer flags.
  constexpr std::uint32_t kAttempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int err = EINVAL;
  for (std::uint32_t flags : kAttempts) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 4;
    const int r = io_uring_queue_init_params(entries, &ring_, &p);
    if (r == 0) {
      if (!(p.features & IORING_FEAT_NODROP)) {
        io_uring_queue_exit(&ring_);
        throw std::system_error(ENOTSUP, std::system_category(),
                                "skein: io_uring without IORING_FEAT_NODROP (kernel older than 5.5) is not supported");
      }
      setup_flags_ = flags;
      return;
    }
    err = -r;
    if (err != EINVAL) break;
  }
  throw std::system_error(err, std::system_category(), "skein: io_uring_setup failed: " + setup_hint(err));
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

void Ring::register_fd() noexcept { fd_registered_ = io_uring_register_ring_fd(&ring_) == 1; }

void Ring::unregister_fd() noexcept {
  if (fd_registered_ && io_uring_unregister_ring_fd(&ring_) == 0) fd_registered_ = false;
}

std::string Ring::describe() const {
  std::string s;
  if (setup_flags_ & IORING_SETUP_SINGLE_ISSUER) s += "SINGLE_ISSUER ";
  if (setup_flags_ & IORING_SETUP_DEFER_TASKRUN) s += "DEFER_TASKRUN ";
  if (setup_flags_ & IORING_SETUP_COOP_TASKRUN) s += "COOP_TASKRUN ";
  if (setup_flags_ & IORING_SETUP_SUBMIT_ALL) s += "SUBMIT_ALL ";
  if (setup_flags_ & IORING_SETUP_TASKRUN_FLAG) s += "TASKRUN_FLAG ";
  if (fd_registered_) s += "registered-fd ";
  if (s.empty()) s = "plain ";
  s.pop_back();
  return s;
}

io_uring_sqe* Ring::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {
    // A full SQ is not an error: send what is there and take a fresh slot.
    ++sq_full_flushes_;
    submit_retrying(false);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Ring::reserve(unsigned n) {
  if (io_uring_sq_space_left(&ring_) < n) {
    ++sq_full_flushes_;
    submit_retrying(false);
  }
}

void Ring::submit_retrying(bool get_events) {
  // Bounded: SQEs left over (a kernel that stops at a bad SQE) go next tick.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int r = get_events ? io_uring_submit_and_get_events(&ring_) : io_uring_submit(&ring_);
    if (r >= 0) {
      if (io_uring_sq_ready(&ring_) == 0 || r == 0) return;
      continue;  // partially submitted: the rest
    }
    if (r == -EINTR) continue;
    if (r == -EBUSY || r == -EAGAIN) {
      // The CQ is backed up (overflow list) or the kernel is short of memory:
      // make room by reaping, then submit again. Nothing is lost.
      reap();
      continue;
    }
    throw std::system_error(-r, std::system_category(), "skein: io_uring_enter (submit)");
  }
}

void Ring::flush() {
  if (io_uring_sq_ready(&ring_) > 0) {
    submit_retrying((setup_flags_ & IORING_SETUP_DEFER_TASKRUN) != 0);
  } else if ((setup_flags_ & IORING_SETUP_DEFER_TASKRUN) && in_flight_ > 0) {
    // Deferred completions run only when the owner enters the kernel. With
    // TASKRUN_FLAG the kernel tells us (IORING_SQ_TASKRUN) whether there is
    // anything to run: no syscall on a poll that would find nothing.
    if ((setup_flags_ & IORING_SETUP_TASKRUN_FLAG) &&
        !(IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
      return;
    int r;
    do r = io_uring_get_events(&ring_);
    while (r == -EINTR);
  }
}

std::size_t Ring::reap() {
  struct Item {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;
  };
  constexpr unsigned kBatch = 64;
  std::size_t total = 0;
  for (int round = 0; round < 32; ++round) {
    io_uring_cqe* cqes[kBatch];
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, kBatch);
    if (n == 0) {
      // The kernel kept CQEs that did not fit (NODROP): flush them into the CQ.
      if (io_uring_cq_has_overflow(&ring_)) {
        ++cq_overflow_flushes_;
        io_uring_get_events(&ring_);
        continue;
      }
      break;
    }
    // Copy, then release the slots, then dispatch: a completion handler may
    // queue SQEs, and the CQ slots are free for the kernel sooner.
    Item items[kBatch];
    for (unsigned i = 0; i < n; ++i) items[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    io_uring_cq_advance(&ring_, n);
    for (unsigned i = 0; i < n; ++i) {
      const Item& it = items[i];
      if (it.user_data == 0 || it.user_data == LIBURING_UDATA_TIMEOUT) continue;
      auto* c = reinterpret_cast<Completion*>(static_cast<std::uintptr_t>(it.user_data));
      c->on_cqe(c, it.res, it.flags);
    }
    total += n;
  }
  return total;
}

void Ring::wait(std::int64_t timeout_ns) {
  __kernel_timespec ts{};
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
  }
  io_uring_cqe* cqe = nullptr;
  const int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout_ns >= 0 ? &ts : nullptr, nullptr);
  if (r == -EBUSY) reap();
  // -ETIME (the timer is due), -EINTR (a signal): the caller reaps and
  // re-evaluates; other errors leave SQEs for the next flush.
}

}  // namespace skein::io
