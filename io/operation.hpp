// RingOp: how a task waits for one event of its worker's ring (an I/O
// completion or a timer) and how a cancellation withdraws the wait.
// IoAwaiter: the awaiter that owns one SQE and its result.
//
// COMPLETION/CANCEL PROTOCOL. The op lives in the awaiting coroutine's frame
// and is touched by three parties: the owner thread of the ring it was issued
// on (completion, withdrawal), any thread that cancels the task (the
// CancelHook), and the task when it resumes.
//   `cancel_state` (atomic): kNone -> kCancelPosted (a canceller won) or
//   kNone -> kCompleted (the completion won). One CAS each; one of them wins.
//   1. Hook (any thread, via cancel_hook.hpp): CAS kNone -> kCancelPosted; on
//      success post the op's inbox node to the owner ring (IoParker::post).
//      On failure the completion won and the task is already on its way.
//   2. Completion (owner: the final CQE, or the timer firing): completed =
//      true; CAS kNone -> kCompleted. Success, or the inbox node already ran
//      (cancel_seen): resume the task. Else wait for the node.
//   3. Inbox node (owner): cancel_seen = true. Completed already? resume the
//      task. Else withdraw: submit IORING_OP_ASYNC_CANCEL for the op (or take
//      the sleeper out of the heap); its completion then runs step 2, which
//      resumes (cancel_seen is set).
//   So the task is made runnable exactly once, by the owner thread, and only
//   after the kernel is done with the op (its final CQE is in) and the inbox
//   node has run: the frame (buffers, awaiter, node) is never freed under the kernel's
//   or the owner's feet. `completed` and `cancel_seen` are owner-only plain
//   fields; the task reads them after resuming, ordered by the release/acquire
//   of schedule() and the run queues.
//   4. The task (await_resume): disarm_cancel_hook (waits for a running hook
//      to finish), then an op that ended with -ECANCELED after cancel_seen
//      throws operation_canceled; one that completed anyway returns its
//      result (no data or accepted fd is lost; the cancel flag stays set and
//      the next suspension point throws).
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "io/io_parker.hpp"
#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/error.hpp"

namespace skein::io {

class RingOp {
 public:
  RingOp() = default;
  RingOp(const RingOp&) = delete;
  RingOp& operator=(const RingOp&) = delete;

  bool cancel_seen() const noexcept { return cancel_seen_; }

 protected:
  using WithdrawFn = void (*)(RingOp*) noexcept;

  // In await_suspend, before the op can complete.
  void begin(IoParker& owner, detail::TaskHeader* task, WithdrawFn withdraw) noexcept {
    owner_ = &owner;
    task_ = task;
    withdraw_ = withdraw;
    hook_.op = this;
    hook_.fn = &RingOp::on_hook;
    node_.op = this;
    node_.run = &RingOp::on_node;
  }
  // In await_suspend, once the op is queued (step 1 may run inline here).
  void arm() noexcept { detail::arm_cancel_hook(task_, &hook_); }
  // First thing in await_resume (a no-op if the op never suspended).
  void disarm() noexcept {
    if (task_) detail::disarm_cancel_hook(task_, &hook_);
  }

  // Step 2 (owner thread).
  void finish() noexcept {
    completed_ = true;
    std::uint8_t expected = kNone;
    // acq_rel: pairs with the hook's CAS; exactly one of the two wins.
    if (cancel_state_.compare_exchange_strong(expected, kCompleted, std::memory_order_acq_rel) || cancel_seen_)
      owner_->resume(task_);
  }

  IoParker* owner_ = nullptr;
  detail::TaskHeader* task_ = nullptr;

 private:
  static constexpr std::uint8_t kNone = 0;
  static constexpr std::uint8_t kCancelPosted = 1;
  static constexpr std::uint8_t kCompleted = 2;

  struct Hook : detail::CancelHook {
    RingOp* op;
  };
  struct Node : InboxNode {
    RingOp* op;
  };

  // Step 1 (any thread).
  static void on_hook(detail::CancelHook* h) noexcept {
    RingOp* op = static_cast<Hook*>(h)->op;
    std::uint8_t expected = kNone;
    if (op->cancel_state_.compare_exchange_strong(expected, kCancelPosted, std::memory_order_acq_rel))
      op->owner_->post(&op->node_);
  }
  // Step 3 (owner thread).
  static void on_node(InboxNode* n) noexcept {
    RingOp* op = static_cast<Node*>(n)->op;
    op->cancel_seen_ = true;
    if (op->completed_)
      op->owner_->resume(op->task_);
    else
      op->withdraw_(op);
  }

  std::atomic<std::uint8_t> cancel_state_{kNone};
  bool completed_ = false;    // owner only
  bool cancel_seen_ = false;  // owner only
  WithdrawFn withdraw_ = nullptr;
  Hook hook_;
  Node node_;
};

// One SQE, one result. `Prep` fills the SQE: void(io_uring_sqe*).
// With a timeout (> 0), an IORING_OP_LINK_TIMEOUT is linked to the SQE: if it
// fires first the kernel cancels the operation, and await_resume returns
// -ETIMEDOUT (no extra task, no timer node).
template <class Prep>
class IoAwaiter : private RingOp, private Completion {
 public:
  IoAwaiter(const char* what, Prep prep, std::int64_t timeout_ns = 0) : what_(what), prep_(std::move(prep)) {
    if (timeout_ns > 0) {
      timeout_.tv_sec = timeout_ns / 1'000'000'000;
      timeout_.tv_nsec = timeout_ns % 1'000'000'000;
      linked_timeout_ = true;
    }
  }

  bool await_ready() {
    detail::throw_if_cancelled(detail::current_task());
    return false;
  }

  void await_suspend(std::coroutine_handle<> h) {
    IoParker& p = IoParker::current_with_ring(what_);  // throws before anything is recorded
    detail::TaskHeader* t = detail::suspend_current(h);
    begin(p, t, &IoAwaiter::withdraw);
    on_cqe = &IoAwaiter::on_completion;
    if (linked_timeout_) p.ring().reserve(2);  // the op and its timeout in one submission
    io_uring_sqe* sqe = p.ring().get_sqe();
    prep_(sqe);
    io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
    if (linked_timeout_) {
      io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
      io_uring_sqe* tsqe = p.ring().get_sqe();
      io_uring_prep_link_timeout(tsqe, &timeout_, 0);
      io_uring_sqe_set_data64(tsqe, 0);  // its CQE (-ETIME or -ECANCELED) is ignored
    }
    p.ring().started();
    arm();
  }

  // The CQE's res: >= 0, or -errno (-ETIMEDOUT: the linked timeout fired).
  // Throws operation_canceled (step 4).
  std::int32_t await_resume() {
    disarm();
    if (cancel_seen() && (res_ == -ECANCELED || res_ == -EINTR)) throw operation_canceled();
    if (linked_timeout_ && (res_ == -ECANCELED || res_ == -EINTR)) return -ETIMEDOUT;
    return res_;
  }

 private:
  static void on_completion(Completion* c, std::int32_t res, std::uint32_t flags) noexcept {
    auto* self = static_cast<IoAwaiter*>(c);
    // Not the final CQE of this operation (multishot): keep waiting. None of
    // skein's single-shot ops sets it, but a frame must never be resumed
    // while the kernel may still post to it.
    if (flags & IORING_CQE_F_MORE) return;
    self->res_ = res;
    self->owner_->ring().finished();
    self->finish();
  }
  static void withdraw(RingOp* op) noexcept {
    auto* self = static_cast<IoAwaiter*>(op);
    io_uring_sqe* sqe;
    try {
      sqe = self->owner_->ring().get_sqe();
    } catch (...) {
      return;  // the ring is broken: the op completes (or is cancelled at exit) on its own
    }
    io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(static_cast<Completion*>(self)), 0);
    io_uring_sqe_set_data64(sqe, 0);  // its own CQE is ignored; the op's CQE resumes
  }

  const char* what_;
  Prep prep_;
  std::int32_t res_ = 0;
  bool linked_timeout_ = false;
  __kernel_timespec timeout_{};  // read by the kernel when the SQE is submitted
};

template <class Prep>
IoAwaiter<Prep> submit(const char* what, Prep prep, std::int64_t timeout_ns = 0) {
  return IoAwaiter<Prep>(what, std::move(prep), timeout_ns);
}

}  // namespace skein::io
