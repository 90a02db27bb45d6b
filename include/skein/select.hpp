// skein::select: wait for the first of several channel operations.
//
//   auto r = co_await skein::select(orders.recv(), cancels.recv(), log.send(line));
//   switch (r.index()) {
//     case 0: handle(std::get<0>(r)); break;   // std::optional<Order>: nullopt = orders closed
//     case 1: ...                               // std::optional<Cancel>
//     case 2: ...                               // std::monostate: the line was sent
//   }
//
// Exactly one operation completes; the others have no effect (nothing is
// received or sent by them). The result is a std::variant with one
// alternative per operation, in argument order: a recv() branch yields
// std::optional<T> (nullopt if that channel is closed and drained), a send()
// branch std::monostate. A send() branch on a closed channel completes the
// select by throwing skein::send_failed<T> (with the value). The operations
// must be passed straight into select() inside the co_await expression (they
// are referenced, not copied).
//
// FAIRNESS: the branches are tried starting from a random one, so a branch
// that is always ready cannot starve the others.
//
// ALGORITHM (Go's selectgo):
//  1. Try every branch once without waiting, each under its channel's lock.
//  2. Otherwise lock all the channels involved (in address order, each once:
//     no deadlock with another select), try again, and if still nothing is
//     ready queue one waiter per branch. All waiters share one `claim`
//     flag; arm the cancel hook; unlock.
//  3. A channel operation that finds a select waiter must win the claim (an
//     atomic exchange, acq_rel) before completing it; a waiter whose claim is
//     lost is stale and is simply dropped from that channel's queue. So at
//     most one branch completes. The cancel hook competes for the same claim.
//  4. On resume the task locks each channel again and removes its remaining
//     waiters, then reads which branch completed.
// Because every waiter is queued while all the locks are held, nothing can
// complete the select before the queueing is finished.
//
// THREAD SAFETY: inside a skein task. A task cancelled while it waits in a
// select throws operation_canceled and no branch has completed.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "skein/cancel.hpp"
#include "skein/channel.hpp"
#include "skein/detail/context.hpp"
#include "skein/error.hpp"

namespace skein {

namespace detail {

inline std::uint32_t select_random() noexcept {
  constinit thread_local std::uint32_t state = 0x9E3779B9u;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

template <class... Ops>
class SelectAwaiter {
  static constexpr std::size_t N = sizeof...(Ops);
  static_assert(N > 0, "skein::select needs at least one operation");

 public:
  using result_type = std::variant<typename Ops::select_result...>;

  explicit SelectAwaiter(Ops&... ops) noexcept : ops_(&ops...) { hook_.self = this; }
  SelectAwaiter(const SelectAwaiter&) = delete;
  SelectAwaiter& operator=(const SelectAwaiter&) = delete;
  ~SelectAwaiter() {
    // Only if the task is destroyed while suspended here (shutdown).
    if (task_) {
      for_each([](auto, auto& op) {
        SpinGuard g(op.select_lock());
        op.select_withdraw_locked();
      });
      CancelHook* mine = &hook_;
      task_->cancel_hook.compare_exchange_strong(mine, nullptr, std::memory_order_acq_rel);
    }
  }

  bool await_ready() {
    start_ = select_random() % N;
    WakeList wake;
    for (std::size_t k = 0; k < N; ++k) {
      std::size_t i = (start_ + k) % N;
      bool done = false;
      visit(i, [&](auto, auto& op) {
        SpinGuard g(op.select_lock());
        done = op.select_try_locked(wake);
      });
      if (done) {
        winner_ = i;
        return owed_yield_.go_on_now();
      }
    }
    return false;
  }

  bool await_suspend(std::coroutine_handle<> h) {
    TaskHeader* me = suspend_current(h);
    if (owed_yield_.pay(me)) return true;
    // Locals: after the first unlock below this awaiter may already be
    // running elsewhere, so the unlocking must not read its members.
    std::array<SpinLock*, N> locks{};
    std::size_t n = 0;
    for_each([&](auto, auto& op) { locks[n++] = &op.select_lock(); });
    std::sort(locks.begin(), locks.end(), std::less<SpinLock*>());
    n = static_cast<std::size_t>(std::unique(locks.begin(), locks.end()) - locks.begin());
    WakeList wake;  // destroyed after the unlocks: schedules then
    for (std::size_t j = 0; j < n; ++j) locks[j]->lock();
    bool suspend = enqueue_all_locked(me, wake);
    for (std::size_t j = n; j-- > 0;) locks[j]->unlock();
    return suspend;
  }

  result_type await_resume() {
    if (task_) {
      disarm_cancel_hook(task_, &hook_);
      for_each([&](auto index, auto& op) {
        SpinGuard g(op.select_lock());
        op.select_withdraw_locked();
        if (op.select_state() != WaitState::waiting) winner_ = index;
      });
      task_ = nullptr;
    }
    if (cancelled_) throw operation_canceled();
    result_type r;
    visit(winner_, [&](auto index, auto& op) { r.template emplace<decltype(index)::value>(op.select_take()); });
    return r;
  }

 private:
  struct Hook : CancelHook {
    SelectAwaiter* self;
  };

  // All channel locks held: try once more, else queue every branch and arm
  // the cancel hook. Returns whether to suspend.
  bool enqueue_all_locked(TaskHeader* me, WakeList& wake) {
    for (std::size_t k = 0; k < N; ++k) {
      std::size_t i = (start_ + k) % N;
      bool done = false;
      visit(i, [&](auto, auto& op) { done = op.select_try_locked(wake); });
      if (done) {
        winner_ = i;
        return false;
      }
    }
    task_ = me;
    for_each([&](auto, auto& op) { op.select_enqueue(me, &claim_); });
    hook_.fn = &on_cancel;
    hook_.finished.store(false, std::memory_order_relaxed);
    // seq_cst store then load: pairs with request_cancel (see enqueue_cancellable).
    me->cancel_hook.store(&hook_, std::memory_order_seq_cst);
    if (!stop_requested_seq_cst(me)) return true;
    if (me->cancel_hook.exchange(nullptr, std::memory_order_acq_rel) != &hook_) return true;
    // Cancelled before we suspended, and the hook is ours again. We hold
    // every lock, so no channel can have claimed a branch yet.
    hook_.finished.store(true, std::memory_order_relaxed);
    claim_.store(true, std::memory_order_relaxed);
    for_each([](auto, auto& op) { op.select_withdraw_locked(); });
    cancelled_ = true;
    return false;
  }

  // Run by request_cancel on any thread; takes no lock (the branches are
  // withdrawn by the task itself in await_resume).
  static void on_cancel(CancelHook* h) noexcept {
    SelectAwaiter* self = static_cast<Hook*>(h)->self;
    if (self->claim_.exchange(true, std::memory_order_acq_rel)) return;  // a branch won
    self->cancelled_ = true;
    schedule(self->task_);
  }

  template <class F>
  void for_each(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(std::integral_constant<std::size_t, I>{}, *std::get<I>(ops_)), ...);
    }(std::index_sequence_for<Ops...>{});
  }
  template <class F>
  void visit(std::size_t i, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((i == I ? (f(std::integral_constant<std::size_t, I>{}, *std::get<I>(ops_)), 0) : 0), ...);
    }(std::index_sequence_for<Ops...>{});
  }

  std::tuple<Ops*...> ops_;
  std::atomic<bool> claim_{false};
  Hook hook_;
  TaskHeader* task_ = nullptr;  // set while branches are queued
  std::size_t start_ = 0;
  std::size_t winner_ = 0;
  bool cancelled_ = false;
  OwedYield owed_yield_;
};

}  // namespace detail

// co_await: the first of the channel operations to complete (see above).
template <class... Ops>
[[nodiscard]] detail::SelectAwaiter<std::remove_cvref_t<Ops>...> select(Ops&&... ops) noexcept {
  return detail::SelectAwaiter<std::remove_cvref_t<Ops>...>(ops...);
}

}  // namespace skein
