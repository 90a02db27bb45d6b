// Ring: one io_uring, owned and driven by one worker thread.
//
// - Setup probes the kernel: SINGLE_ISSUER + DEFER_TASKRUN first (completions
//   are processed only when the owner asks, no IPIs), then COOP_TASKRUN, then
//   plain; a CQ twice the SQ size. IORING_FEAT_NODROP is required (no lost CQE
//   on overflow: the kernel keeps an overflow list, which reap() flushes).
// - get_sqe() never fails: a full SQ is submitted first (and a submit that is
//   refused with EBUSY/EAGAIN because the CQ is backed up reaps, then retries).
// - SQEs gathered while tasks run are sent with one io_uring_enter per
//   scheduler tick (flush), or by wait() when the worker goes to sleep.
// - Every CQE is dispatched to the Completion its user_data points to; 0 and
//   LIBURING_UDATA_TIMEOUT are internal (cancel requests, liburing's own
//   timeout) and ignored. The Completion sees cqe->flags, so IORING_CQE_F_MORE
//   (more CQEs follow for the same operation) is checked on every completion.
//
// THREAD SAFETY: owner thread only. Nothing here is atomic; other threads
// reach the owner through IoParker's inbox and eventfd (io_parker.hpp).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace skein::io {

// Anything that receives CQEs. `on_cqe` runs on the ring's owner thread.
struct Completion {
  void (*on_cqe)(Completion* self, std::int32_t res, std::uint32_t flags) noexcept = nullptr;
};

class Ring {
 public:
  // Throws std::system_error (with the errno and what failed) when the kernel
  // refuses io_uring.
  explicit Ring(unsigned entries);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // An SQE, never null (every prep helper sets all its fields). user_data
  // must be set by the caller.
  io_uring_sqe* get_sqe();
  // Makes sure the next `n` get_sqe() calls return adjacent SQEs of one
  // submission (a linked chain must not be split by a flush).
  void reserve(unsigned n);

  // Sends the gathered SQEs without waiting; with DEFER_TASKRUN it also runs
  // the deferred completions so that reap() sees them.
  void flush();

  // Dispatches every available CQE; returns how many were dispatched.
  std::size_t reap();

  // Sends the gathered SQEs and sleeps until at least one CQE is available or
  // `timeout_ns` (relative; < 0: no timeout) passes. EINTR/ETIME are normal.
  void wait(std::int64_t timeout_ns);

  // Operations whose final CQE has not been reaped (maintained by callers via
  // started()/finished(), used to skip syscalls when nothing is in flight).
  void started() noexcept { ++in_flight_; }
  void finished() noexcept { --in_flight_; }
  std::size_t in_flight() const noexcept { return in_flight_; }

  std::uint32_t setup_flags() const noexcept { return setup_flags_; }
  bool fd_registered() const noexcept { return fd_registered_; }

  // Registered ring fd: io_uring_enter skips the fd lookup. The registration
  // belongs to the calling thread, so register_fd() and unregister_fd() are
  // called on the owner thread (IoParker's constructor; a thread_local
  // guard when the worker thread exits, before the ring is destroyed
  // elsewhere). Failure to register is not an error.
  void register_fd() noexcept;
  void unregister_fd() noexcept;
  // Diagnostics: how often a full SQ was flushed by get_sqe, and how often
  // the CQ had overflowed into the kernel's list and was flushed by reap().
  std::uint64_t sq_full_flushes() const noexcept { return sq_full_flushes_; }
  std::uint64_t cq_overflow_flushes() const noexcept { return cq_overflow_flushes_; }
  std::string describe() const;

 private:
  void submit_retrying(bool get_events);

  io_uring ring_{};
  std::uint32_t setup_flags_ = 0;
  bool fd_registered_ = false;
  std::size_t in_flight_ = 0;
  std::uint64_t sq_full_flushes_ = 0;
  std::uint64_t cq_overflow_flushes_ = 0;
};

}  // namespace skein::io
