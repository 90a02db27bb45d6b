// IoParker: park/unpark inside the worker's io_uring. See io_parker.hpp.
#include "io/io_parker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "io/io_context.hpp"
#include "skein/detail/context.hpp"

namespace skein::io {

namespace {
constexpr unsigned kRingEntries = 256;
}  // namespace

IoParker::IoParker(std::size_t worker_index) : worker_index_(worker_index) {
  ring_.emplace(kRingEntries);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::system_category(), "skein: eventfd for the worker's ring");
  wake_completion_.on_cqe = &IoParker::on_wake_cqe;
  wake_completion_.self = this;
  arm_wake_read();
}

IoParker::IoParker(std::size_t worker_index, TimersOnly) : worker_index_(worker_index) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::system_category(), "skein: eventfd for the worker's timers");
}

IoParker::~IoParker() {
  forget_thread_parker(this);  // destroyed on its own thread: no dangling thread_locals
  timers_.drop_all();
  // The ring goes first (its destructor runs after this body): closing the
  // eventfd while a read is pending on it is fine, the read is cancelled.
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::int64_t IoParker::now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void IoParker::arm_wake_read() {
  io_uring_sqe* sqe = ring_->get_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_buf_, sizeof wake_buf_, 0);
  io_uring_sqe_set_data(sqe, &wake_completion_);
  wake_read_pending_ = true;
}

void IoParker::on_wake_cqe(Completion* c, std::int32_t res, std::uint32_t flags) noexcept {
  IoParker* self = static_cast<WakeCompletion*>(c)->self;
  // Re-armed lazily (before the next sleep): arming here could recurse into
  // submit -> reap when the SQ is full.
  self->wake_read_pending_ = false;
}

void IoParker::signal() noexcept {
  const std::uint64_t one = 1;
  ssize_t r;
  do r = ::write(wake_fd_, &one, sizeof one);
  while (r < 0 && errno == EINTR);
  // EAGAIN (counter saturated) still leaves the counter > 0: the read completes.
}

void IoParker::resume(detail::TaskHeader* t) {
  ++woken_;
  // Marked as woken by this worker's ring: it goes to the I/O-ready list
  // (worker.hpp). Every completion and fired sleep resumes its task here,
  // wherever the CQE was reaped (a poll, or a flush of a full SQ).
  detail::ThreadContext& ctx = detail::tls_context;
  ctx.waking_from_io = true;
  detail::schedule(t);
  ctx.waking_from_io = false;
}

void IoParker::post(InboxNode* n) noexcept {
  inbox_.push(n);  // seq_cst
  // Step 5 of the protocol: seq_cst, after the push.
  if (state_.load(std::memory_order_seq_cst) == kParked) signal();
}

void IoParker::unpark() {
  // acq_rel: release publishes the work queued before unpark(); the owner's
  // exchange in park() acquires it.
  if (state_.exchange(kNotified, std::memory_order_acq_rel) == kParked) signal();
}

void IoParker::fire_due_timers() {
  if (timers_.empty()) return;
  const std::int64_t now = now_ns();
  // Fired in deadline order: each resume goes to the back of this worker's
  // I/O-ready list (FIFO), so the earliest deadline runs first.
  due_.clear();
  while (TimerNode* t = timers_.pop_due(now)) due_.push_back(t);
  // Every fired timer counts as progress, not only the sleepers resumed
  // through resume(): a deadline may cancel a wait elsewhere (with_timeout
  // around a channel recv), whose hook schedules the task on this worker
  // directly; park() must return to run it.
  woken_ += due_.size();
  for (TimerNode* t : due_) t->fire(t);
}

bool IoParker::poll_events() {
  const std::uint64_t before = woken_;
  inbox_.drain();
  if (ring_) {
    ring_->flush();
    ring_->reap();
  }
  fire_due_timers();
  return woken_ != before;
}

void IoParker::park() {
  if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) {  // step 2
    poll_events();
    return;
  }
  for (;;) {
    // The eventfd read must be queued before we can sleep. Armed here, ahead
    // of the poll: arming may flush a full SQ, and the poll both submits it
    // and sees any task that flush made runnable.
    if (ring_ && !wake_read_pending_) arm_wake_read();
    if (poll_events()) return;  // step 3
    if (ring_ && !wake_read_pending_) continue;  // the poll reaped a stale wake-up: re-arm first
    std::uint32_t expected = kEmpty;
    if (!state_.compare_exchange_strong(expected, kParked, std::memory_order_seq_cst)) {  // step 4
      state_.store(kEmpty, std::memory_order_relaxed);
      poll_events();
      return;
    }
    if (!inbox_.empty()) {  // step 5
      if (state_.exchange(kEmpty, std::memory_order_seq_cst) == kNotified) {
        poll_events();
        return;
      }
      continue;
    }
    // Step 6.
    std::int64_t timeout = -1;
    if (!timers_.empty()) {
      timeout = timers_.next_deadline() - now_ns();
      if (timeout < 0) timeout = 0;
    }
    if (ring_)
      ring_->wait(timeout);
    else
      wait_without_ring(timeout);
    // Step 7.
    const bool notified = state_.exchange(kEmpty, std::memory_order_seq_cst) == kNotified;
    const bool progressed = poll_events();
    if (notified || progressed) return;
  }
}

// Step 6 without a ring: sleep until the eventfd is readable or the timeout
// passes, then empty it (non-blocking), so the next wait sleeps again.
void IoParker::wait_without_ring(std::int64_t timeout_ns) {
  pollfd pfd{wake_fd_, POLLIN, 0};
  timespec ts{};
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
  }
  ::ppoll(&pfd, 1, timeout_ns >= 0 ? &ts : nullptr, nullptr);  // EINTR: one more loop, nothing lost
  std::uint64_t drained;
  [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &drained, sizeof drained);  // EAGAIN: it was the timeout
}

}  // namespace skein::io
