// IoParker: park/unpark inside the worker's io_uring. See io_parker.hpp.
#include "io/io_parker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

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

IoParker::IoParker(std::size_t worker_index, WithoutRing) : worker_index_(worker_index) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::system_category(), "skein: eventfd for the worker's timers");
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    const int e = errno;
    ::close(wake_fd_);
    throw std::system_error(e, std::system_category(), "skein: epoll_create1 for the worker");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) {
    const int e = errno;
    ::close(epoll_fd_);
    ::close(wake_fd_);
    throw std::system_error(e, std::system_category(), "skein: epoll_ctl for the worker's eventfd");
  }
}

IoParker::~IoParker() {
  forget_thread_parker(this);  // destroyed on its own thread: no dangling thread_locals
  timers_.drop_all();
  // The ring goes first (its destructor runs after this body): closing the
  // eventfd while a read is pending on it is fine, the read is cancelled.
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
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
  } else {
    dispatch_ready(0);
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
    // Without a ring the wait itself resumes the sockets that became ready:
    // that counts as progress too.
    const std::uint64_t woken_before_wait = woken_;
    if (ring_)
      ring_->wait(timeout);
    else
      wait_without_ring(timeout);
    // Step 7.
    const bool notified = state_.exchange(kEmpty, std::memory_order_seq_cst) == kNotified;
    const bool progressed = poll_events() || woken_ != woken_before_wait;
    if (notified || progressed) return;
  }
}

// Step 6 without a ring: sleep in epoll_wait until the eventfd or a waiting
// socket is ready, or the nearest deadline passes.
void IoParker::wait_without_ring(std::int64_t timeout_ns) {
  // epoll_wait counts milliseconds: round up, so a timer is never early.
  const int timeout_ms = timeout_ns < 0 ? -1 : static_cast<int>(std::min<std::int64_t>((timeout_ns + 999'999) / 1'000'000, 1 << 30));
  dispatch_ready(timeout_ms);
}

// Registers (added = false: re-arms) `fd` for what its waiters want; an fd
// nobody waits on any more is deleted from epoll (settle() then forgets it).
// Owner only.
bool IoParker::rearm(int fd, const Interest& i, bool added) noexcept {
  if (i.in.empty() && i.out.empty()) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return true;
  }
  epoll_event ev{};
  ev.events = EPOLLONESHOT | (i.in.empty() ? 0u : EPOLLIN | EPOLLRDHUP) | (i.out.empty() ? 0u : EPOLLOUT);
  ev.data.fd = fd;
  return ::epoll_ctl(epoll_fd_, added ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
}

bool IoParker::watch(int fd, bool out, ReadyWaiter* w) {
  auto [it, added] = interests_.try_emplace(fd);
  std::vector<ReadyWaiter*>& waiters = out ? it->second.out : it->second.in;
  waiters.push_back(w);
  if (rearm(fd, it->second, added)) return true;
  const int e = errno;
  waiters.pop_back();
  if (added) interests_.erase(it);
  errno = e;
  return false;
}

void IoParker::unwatch(int fd, bool out, ReadyWaiter* w) noexcept {
  auto it = interests_.find(fd);
  if (it == interests_.end()) return;
  std::vector<ReadyWaiter*>& waiters = out ? it->second.out : it->second.in;
  std::erase(waiters, w);
  settle(it);
}

// After waiters left `it`: re-arm the fd for the rest, or forget it.
void IoParker::settle(std::unordered_map<int, Interest>::iterator it) noexcept {
  rearm(it->first, it->second, false);
  if (it->second.in.empty() && it->second.out.empty()) interests_.erase(it);
}

// Waits up to `timeout_ms` (0: just looks) and resumes the socket waits that
// became ready; empties the eventfd if it was written (non-blocking read).
// An event disarmed the fd's whole registration (ONESHOT): the waiters of
// the other direction, if it is not ready too, are re-armed.
void IoParker::dispatch_ready(int timeout_ms) {
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);  // EINTR: one more loop, nothing lost
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      std::uint64_t drained;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &drained, sizeof drained);
      continue;
    }
    auto it = interests_.find(fd);
    if (it == interests_.end()) continue;
    const std::uint32_t e = events[i].events;
    const bool failed = e & (EPOLLERR | EPOLLHUP);
    ready_.clear();
    if (failed || (e & (EPOLLIN | EPOLLRDHUP))) ready_.swap(it->second.in);
    if (failed || (e & EPOLLOUT)) {
      ready_.insert(ready_.end(), it->second.out.begin(), it->second.out.end());
      it->second.out.clear();
    }
    settle(it);
    for (ReadyWaiter* w : ready_) w->on_ready(w);
    ready_.clear();
  }
}

}  // namespace skein::io
