// sleep_until and with_deadline's scope: nodes in the worker's timer heap.
// A sleeper's completion/cancel protocol is RingOp's (operation.hpp); a
// deadline's is DeadlineTimer's (below) and the cancel hook's (cancel_hook.hpp).
#include <atomic>
#include <system_error>
#include <thread>

#include "io/io_context.hpp"
#include "io/io_parker.hpp"
#include "io/operation.hpp"
#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
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

// with_deadline's timer. Heap-allocated because it has two owners on two
// threads: the timer heap of the worker that armed it (fires or drops it) and
// the scope in the task's frame (which may be running on another worker by
// then).
// STATE (atomic): kArmed -> kFiring -> kFired (the owner's timer), or
// kArmed -> kDisarmed (the scope, any thread). A scope that loses the CAS to
// a firing waits for kFired, so the timer never touches a task that has left
// the scope. Two references (the heap, the scope); acq_rel on the count so
// the last one sees every write before deleting.
// A scope closed on the arming worker (the usual case: I/O-woken tasks stay
// on their worker) also takes the node out of the heap at once, so a server
// with 30 s timeouts does not keep 30 s of disarmed timers queued. Closed on
// another worker, the node stays queued until its deadline, then is dropped
// unfired.
struct DeadlineTimer : io::TimerNode {
  static constexpr std::uint8_t kArmed = 0, kFiring = 1, kFired = 2, kDisarmed = 3;
  std::atomic<std::uint8_t> state{kArmed};
  std::atomic<std::uint8_t> refs{2};
  TaskHeader* target = nullptr;
  io::IoParker* owner = nullptr;  // whose heap holds it

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  static void on_fire(io::TimerNode* n) noexcept {
    auto* self = static_cast<DeadlineTimer*>(n);
    std::uint8_t expected = kArmed;
    if (self->state.compare_exchange_strong(expected, kFiring, std::memory_order_acq_rel)) {
      request_deadline_stop(self->target);
      self->state.store(kFired, std::memory_order_release);
    }
    self->unref();
  }
  static void on_drop(io::TimerNode* n) noexcept { static_cast<DeadlineTimer*>(n)->unref(); }
};

DeadlineScope::DeadlineScope(Clock::time_point deadline) {
  io::IoParker& p = io::IoParker::current("with_timeout");
  task_ = current_task();
  if (!task_) throw std::logic_error("skein::with_timeout: not inside a skein task");
  auto* t = new DeadlineTimer();
  t->deadline_ns = to_ns(deadline);
  t->target = task_;
  t->owner = &p;
  t->fire = &DeadlineTimer::on_fire;
  t->drop = &DeadlineTimer::on_drop;
  try {
    p.timers().push(t);
  } catch (...) {
    delete t;
    throw;
  }
  timer_ = t;
}

void DeadlineScope::close() noexcept {
  DeadlineTimer* t = std::exchange(timer_, nullptr);
  if (!t) return;
  std::uint8_t expected = DeadlineTimer::kArmed;
  if (t->state.compare_exchange_strong(expected, DeadlineTimer::kDisarmed, std::memory_order_acq_rel)) {
    // On the arming worker nothing else touches its heap now: the heap's
    // reference goes with the node.
    if (io::tls_io_parker == t->owner && t->owner->timers().remove(t)) t->unref();
  } else {
    // acquire: pairs with the release store of kFired.
    while (t->state.load(std::memory_order_acquire) == DeadlineTimer::kFiring) std::this_thread::yield();
    fired_ = t->state.load(std::memory_order_acquire) == DeadlineTimer::kFired;
  }
  // The unit the firing added stops the task only while the scope is open.
  // Relaxed is enough: this task's own thread reads its flags next, and the
  // firing's RMW is ordered before ours by the acquire above.
  if (fired_) task_->flags.fetch_sub(kDeadlineUnit, std::memory_order_relaxed);
  t->unref();
}

bool DeadlineScope::timed_out() const noexcept {
  return fired_ && !(task_->flags.load(std::memory_order_acquire) & kCancelRequested);
}

void throw_timed_out(const char* what) { throw std::system_error(std::make_error_code(std::errc::timed_out), what); }

}  // namespace detail

}  // namespace skein
