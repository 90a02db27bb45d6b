// IoParker: a worker's Parker that sleeps inside its io_uring.
//
// Each worker creates one on its own thread (make_worker_parker), so the ring
// has a single issuer. It owns the ring, the worker's timer heap and an inbox
// for requests from other threads. Awaitables find it with current().
//
// WITHOUT IO_URING (the kernel or a seccomp policy refuses it, or
// SKEIN_DISABLE_IO_URING): a readiness IoParker has no ring but an epoll
// instance; the worker sleeps in epoll_wait with its (non-blocking) eventfd
// registered and the nearest deadline as the timeout, and drains the eventfd
// when it wakes. Timers, deadlines and cross-thread wake-ups work the same;
// sockets wait for readiness here (ReadyWait, io/readiness.hpp) and then
// make the non-blocking system call themselves; files run on the blocking
// pool; current_with_ring (the ring's own operations) throws the setup
// error. The protocol below is unchanged except step 6: a write to the
// eventfd between step 4 and epoll_wait leaves its counter non-zero, so
// epoll_wait returns at once.
//
// WAKE PROTOCOL (state_: kEmpty, kParked, kNotified; an eventfd with a read
// always pending on the ring while the worker sleeps):
//  1. unpark() (any thread): state_.exchange(kNotified). Only if the old
//     value was kParked does it write 1 to the eventfd (one syscall, and only
//     for a sleeping worker).
//  2. park() (owner): state_.exchange(kEmpty). kNotified? A wake-up came
//     before park: consume it (reap once) and return. Nothing is lost.
//  3. park() polls: inbox, SQ flush, CQ reap, due timers. If that made a task
//     runnable, return: park() may return without unpark() (parker.hpp);
//     Worker::park then leaves the sleeper set itself (Idle::cancel_parking).
//  4. park() CASes kEmpty -> kParked (seq_cst). Failure: an unpark() came in
//     since step 2 (it is the only other writer): store kEmpty, return.
//  5. After the CAS it re-reads the inbox (seq_cst); not empty: back to kEmpty,
//     step 3. (post() pushes, then reads state_ seq_cst: either the owner sees
//     the node here, or post() sees kParked and writes the eventfd.)
//  6. The eventfd read was queued before step 3 (a completed one is re-armed
//     there, lazily); it sleeps in
//     io_uring_submit_and_wait_timeout(1 CQE, nearest timer). An unpark()
//     after step 4 saw kParked and wrote the eventfd: the pending read
//     completes and ends the wait, whether the write came before or during
//     the wait (the eventfd counter keeps it).
//  7. Woken (any CQE, the timeout, a signal): state_.exchange(kEmpty,
//     seq_cst). kNotified, or the poll of step 3 made a task runnable:
//     return. Else sleep again (step 3).
//  A stale eventfd count (written after we already woke) only completes the
//  next read early: one spurious loop, never a missed one.
//
// THREAD SAFETY: park(), poll_events(), ring(), timers(), resume() — owner
// thread only. unpark() and post() — any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "io/inbox.hpp"
#include "io/ring.hpp"
#include "io/timer_heap.hpp"
#include "runtime/parker.hpp"
#include "skein/detail/task_header.hpp"

namespace skein::io {

// A socket wait registered with a ring-less worker's epoll (readiness.hpp):
// `on_ready` runs on the owner thread once the fd is ready (or in error).
struct ReadyWaiter {
  void (*on_ready)(ReadyWaiter* self) noexcept = nullptr;
};

class IoParker final : public detail::Parker {
 public:
  // Throws std::system_error when the kernel refuses io_uring.
  explicit IoParker(std::size_t worker_index);
  struct WithoutRing {};
  // No ring: timers, wake-ups and socket readiness (see above). Throws
  // std::system_error only if the eventfd or the epoll instance cannot be
  // made.
  IoParker(std::size_t worker_index, WithoutRing);
  ~IoParker() override;

  void park() override;
  void unpark() override;
  bool poll_events() override;
  std::uint64_t pending_timers() const noexcept override { return timers_.published_size(); }

  // The parker of the worker running the caller, for timers. Throws
  // std::logic_error on a thread that is not a skein worker. `what` names
  // the operation.
  static IoParker& current(const char* what);
  // The same, for an operation on the ring: also throws std::system_error
  // (with the cause) when this worker has no io_uring.
  static IoParker& current_with_ring(const char* what);

  bool has_ring() const noexcept { return ring_.has_value(); }
  // Without a ring (owner thread): wait for `fd` to be readable (`out`
  // false) or writable. The fd itself is registered (EPOLLONESHOT, both
  // directions in one registration, re-armed for whoever still waits), so a
  // wait needs no descriptor of its own: it still works when the process is
  // out of them. false with errno if epoll refused. When the fd is ready,
  // every waiter of that direction is taken off and its on_ready runs (each
  // retries its call; one that meets EAGAIN waits again); unwatch()
  // withdraws a waiter that is still there.
  bool watch(int fd, bool out, ReadyWaiter* w);
  void unwatch(int fd, bool out, ReadyWaiter* w) noexcept;
  Ring& ring() noexcept { return *ring_; }
  TimerHeap& timers() noexcept { return timers_; }
  std::size_t worker_index() const noexcept { return worker_index_; }

  // Owner: make a task that waited on this ring runnable again.
  void resume(detail::TaskHeader* t);

  // Any thread: run `n->run(n)` on the owner thread soon (wakes it if it sleeps).
  void post(InboxNode* n) noexcept;

  static std::int64_t now_ns() noexcept;

 private:
  void signal() noexcept;
  void arm_wake_read();
  void wait_without_ring(std::int64_t timeout_ns);
  void dispatch_ready(int timeout_ms);
  void fire_due_timers();
  static void on_wake_cqe(Completion* c, std::int32_t res, std::uint32_t flags) noexcept;

  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kParked = 1;
  static constexpr std::uint32_t kNotified = 2;

  const std::size_t worker_index_;
  std::optional<Ring> ring_;
  TimerHeap timers_;
  std::vector<TimerNode*> due_;  // scratch for fire_due_timers
  int epoll_fd_ = -1;  // without a ring only
  struct Interest {
    std::vector<ReadyWaiter*> in, out;
  };
  std::unordered_map<int, Interest> interests_;  // owner only; fds registered in epoll_fd_
  std::vector<ReadyWaiter*> ready_;               // scratch for dispatch_ready
  bool rearm(int fd, const Interest& i, bool added) noexcept;
  void settle(std::unordered_map<int, Interest>::iterator it) noexcept;
  int wake_fd_ = -1;
  std::uint64_t wake_buf_ = 0;  // the pending eventfd read writes here
  struct WakeCompletion : Completion {
    IoParker* self;
  } wake_completion_;
  bool wake_read_pending_ = false;
  std::uint64_t woken_ = 0;  // tasks resumed by this ring (owner only)

  alignas(64) std::atomic<std::uint32_t> state_{kEmpty};
  Inbox inbox_;
};

// The thread's io_uring setup error, if make_worker_parker fell back to a
// plain Parker (0 otherwise).
int worker_ring_error() noexcept;

}  // namespace skein::io
