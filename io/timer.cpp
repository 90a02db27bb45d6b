// sleep_until and with_timeout's deadline: nodes in the worker's timer heap.
// The completion/cancel protocol is RingOp's (operation.hpp).
#include <atomic>
#include <system_error>
#include <thread>

#include "io/io_parker.hpp"
#include "io/operation.hpp"
#include "skein/join_handle.hpp"
#include "skein/time.hpp"

namespace skein {

namespace {

std::int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// A sleeper: lives in the sleeping frame; queued in the owner's heap.
class SleepAwaiter : private io::RingOp, private io::TimerNode {
 public:
  explicit SleepAwaiter(Clock::time_point deadline) { deadline_ns = to_ns(deadline); }
  ~SleepAwaiter() {
    // Only a frame destroyed at shutdown while asleep gets here queued (the
    // workers are joined by then: single-threaded).
    if (heap_index != kNotQueued && owner_) owner_->timers().remove(this);
  }

  bool await_ready() {
    detail::throw_if_cancelled(detail::current_task());
    if (deadline_ns <= io::IoParker::now_ns()) return detail::coop_consume();
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    io::IoParker& p = io::IoParker::current("sleep_until");
    detail::TaskHeader* t = detail::suspend_current(h);
    begin(p, t, &SleepAwaiter::withdraw);
    fire = &SleepAwaiter::on_fire;
    p.timers().push(this);
    arm();
  }
  void await_resume() {
    disarm();
    if (withdrawn_) throw operation_canceled();
  }

 private:
  static void on_fire(io::TimerNode* n) noexcept { static_cast<SleepAwaiter*>(n)->finish(); }
  static void withdraw(io::RingOp* op) noexcept {
    auto* self = static_cast<SleepAwaiter*>(op);
    self->withdrawn_ = self->owner_->timers().remove(self);
    self->finish();
  }

  bool withdrawn_ = false;  // owner only until the task resumes
};

}  // namespace

Task<void> sleep_until(Clock::time_point deadline) { co_await SleepAwaiter(deadline); }

namespace detail {

// STATE (atomic): kArmed -> kFiring -> kFired (the owner's timer), or
// kArmed -> kDisarmed (the guard, any thread). The guard that loses the CAS
// to a firing waits for kFired, so request_cancel never runs on a task that
// has moved on. Two references (the heap, the guard); acq_rel on the count so
// the last one sees every write before deleting.
struct DeadlineTimer : io::TimerNode {
  static constexpr std::uint8_t kArmed = 0, kFiring = 1, kFired = 2, kDisarmed = 3;
  std::atomic<std::uint8_t> state{kArmed};
  std::atomic<std::uint8_t> refs{2};
  TaskHeader* target = nullptr;

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  static void on_fire(io::TimerNode* n) noexcept {
    auto* self = static_cast<DeadlineTimer*>(n);
    std::uint8_t expected = kArmed;
    if (self->state.compare_exchange_strong(expected, kFiring, std::memory_order_acq_rel)) {
      request_cancel(self->target);
      self->state.store(kFired, std::memory_order_release);
    }
    self->unref();
  }
  static void on_drop(io::TimerNode* n) noexcept { static_cast<DeadlineTimer*>(n)->unref(); }
};

// Arms a timer on the calling worker that cancels the running task at
// `deadline` (request_cancel).
DeadlineTimer* arm_deadline(Clock::time_point deadline) {
  io::IoParker& p = io::IoParker::current("with_timeout");
  TaskHeader* me = current_task();
  if (!me) throw std::logic_error("skein::with_timeout: not inside a skein task");
  auto* t = new DeadlineTimer();
  t->deadline_ns = to_ns(deadline);
  t->target = me;
  t->fire = &DeadlineTimer::on_fire;
  t->drop = &DeadlineTimer::on_drop;
  try {
    p.timers().push(t);
  } catch (...) {
    delete t;
    throw;
  }
  return t;
}

// Any thread, once; true if the timer fired (waits for a firing in progress).
bool disarm_deadline(DeadlineTimer* t) noexcept {
  std::uint8_t expected = DeadlineTimer::kArmed;
  bool fired = false;
  if (!t->state.compare_exchange_strong(expected, DeadlineTimer::kDisarmed, std::memory_order_acq_rel)) {
    // acquire: pairs with the release store of kFired.
    while (t->state.load(std::memory_order_acquire) == DeadlineTimer::kFiring) std::this_thread::yield();
    fired = t->state.load(std::memory_order_acquire) == DeadlineTimer::kFired;
  }
  t->unref();
  return fired;
}

namespace {

class DeadlineGuard {
 public:
  explicit DeadlineGuard(Clock::time_point deadline) : t_(arm_deadline(deadline)) {}
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;
  ~DeadlineGuard() { disarm(); }
  bool disarm() noexcept {
    if (t_) {
      fired_ = disarm_deadline(t_);
      t_ = nullptr;
    }
    return fired_;
  }

 private:
  DeadlineTimer* t_;
  bool fired_ = false;
};

}  // namespace

Task<void> run_with_deadline(Task<void> inner, Clock::time_point deadline) {
  DeadlineGuard guard(deadline);
  try {
    co_await std::move(inner);
  } catch (const operation_canceled&) {
    // Our own deadline cancelled us: a timeout. Anything else: as it came.
    if (guard.disarm())
      throw std::system_error(std::make_error_code(std::errc::timed_out), "skein::with_timeout: deadline passed");
    throw;
  }
}

}  // namespace detail

namespace {

// Awaits the spawned child and forwards a cancellation of the caller to it:
// the child stops at its current or next suspension point and the join
// rethrows its operation_canceled. The hook is armed before the join can
// complete and disarmed (waiting for a running hook) before the result is
// taken, so the child's state is alive whenever the hook touches it.
class CancelForwardingJoin {
 public:
  explicit CancelForwardingJoin(JoinHandle<void>& h) : handle_(h), inner_(h) {
    hook_.self = this;
    hook_.fn = &CancelForwardingJoin::on_cancel;
  }
  bool await_ready() { return inner_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) {
    me_ = detail::current_task();
    if (!me_) throw std::logic_error("skein::with_timeout: not inside a skein task");
    detail::arm_cancel_hook(me_, &hook_);  // a cancel already requested runs the hook here
    return inner_.await_suspend(h);
  }
  void await_resume() {
    if (me_) detail::disarm_cancel_hook(me_, &hook_);
    inner_.await_resume();
  }

 private:
  struct Hook : detail::CancelHook {
    CancelForwardingJoin* self;
  };
  static void on_cancel(detail::CancelHook* h) noexcept {
    try {
      static_cast<Hook*>(h)->self->handle_.cancel();
    } catch (...) {
      // The handle cannot be empty while the join is pending; nothing to do.
    }
  }

  JoinHandle<void>& handle_;
  JoinHandle<void>::Awaiter inner_;
  detail::TaskHeader* me_ = nullptr;
  Hook hook_;
};

}  // namespace

Task<void> with_deadline(Clock::time_point deadline, Task<void> task) {
  auto handle = spawn(detail::run_with_deadline(std::move(task), deadline));
  co_await CancelForwardingJoin(handle);
}

}  // namespace skein
