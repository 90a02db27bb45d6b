// The cancellable wait queue every sync primitive (channel, mutex, semaphore,
// event, wait group, join set, select) is built on: SpinLock, Waiter,
// WaiterList, WakeList, QueuedWait, enqueue_cancellable. Each piece says its
// algorithm, who may call it and why its memory orders suffice.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "skein/detail/backoff.hpp"
#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/detail/task_header.hpp"
#include "skein/error.hpp"
#include "skein/task.hpp"

namespace skein::detail {

// The lock of every sync primitive: its critical sections are a few pointer
// moves (never a syscall or an allocation while it is held, except a ring
// buffer growing in an unbounded channel).
//
// ALGORITHM: test-and-test-and-set with exponential backoff. lock(): one
// exchange; if the lock was held, wait 1, 2, 4 ... 1024 pauses between
// attempts (then yield the CPU between attempts), trying again only when a
// relaxed load sees it free. unlock(): a release store.
// WHY THIS LOCK (measured on this 2-core machine shared with other processes,
// SPSC and 4x4 MPMC channels, cap 1024, 2 workers, M items/s, when every
// channel item still went through this lock; bounded channels now move items
// through a lock-free ring and take the lock only to wait, channel.hpp):
//   plain spin lock       calm ~45        busy machine 5-15 (bimodal)
//   futex lock (Drepper)  calm ~32        busy 11-29: its unlock is an RMW (a
//                                         full barrier on x86) on every item
//   std::mutex            calm ~28
//   spin with backoff     calm ~44-47     busy 14-21
// Backoff keeps a waiting worker from stealing, again and again, the cache
// lines the holder is writing, so the holder finishes a batch with hot caches.
// MEMORY ORDER: acquire on the exchange that takes the lock, release on the
// store that frees it: everything written in one critical section is
// visible in the next.
class SpinLock {
 public:
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) [[likely]]
      return;
    lock_contended();
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr unsigned kMaxBackoff = 1024;  // pauses, about 10-40 us

  void lock_contended() noexcept {
    Backoff backoff(kMaxBackoff);
    for (;;) {
      backoff.wait();
      if (!locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};

using SpinGuard = std::lock_guard<SpinLock>;

class WaiterList;

// How a wait ended; written under the primitive's lock, read by the waiting
// task after it resumes (the schedule() hand-over orders the two).
// `abandoned`: the primitive was destroyed while the task waited on it.
enum class WaitState : std::uint8_t { waiting, completed, closed, cancelled, abandoned };

// A suspended task in a primitive's wait queue. Lives inside the awaiter, i.e.
// in the waiting coroutine's frame; no allocation per wait. It is a CancelHook
// so the runtime's request_cancel can find it (cancel_hook.hpp).
//
// All fields except the hook's atomics are guarded by *lock.
struct Waiter : CancelHook {
  Waiter() = default;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  WaiterList* list = nullptr;  // the queue holding it; null when not queued
  SpinLock* lock = nullptr;    // the lock guarding that queue
  TaskHeader* task = nullptr;  // set once the wait really suspends
  // select(): shared by the waiters of all branches. Whoever flips it to
  // true (acq_rel exchange) completes the select; the others are stale.
  std::atomic<bool>* claim = nullptr;
  WaitState state = WaitState::waiting;
};

// Whether `w` may be completed by the caller (always, unless it belongs to a
// select another branch of which already won).
inline bool try_claim(Waiter* w) noexcept {
  // acq_rel: the winner's writes to the select (which branch, the value) are
  // ordered with the loser's observation; the value itself is published by the
  // lock and schedule().
  return !w->claim || !w->claim->exchange(true, std::memory_order_acq_rel);
}

// Intrusive FIFO of waiters. Guarded by the owner's lock.
class WaiterList {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  Waiter* front() const noexcept { return head_; }

  void push_back(Waiter* w) noexcept {
    w->next = nullptr;
    w->prev = tail_;
    (tail_ ? tail_->next : head_) = w;
    tail_ = w;
    w->list = this;
    ++size_;
  }
  void remove(Waiter* w) noexcept {
    (w->prev ? w->prev->next : head_) = w->next;
    (w->next ? w->next->prev : tail_) = w->prev;
    w->prev = w->next = nullptr;
    w->list = nullptr;
    --size_;
  }
  // The first waiter that can still be completed, removed from the list;
  // stale select branches met on the way are dropped. Null if none.
  Waiter* pop_claimable() noexcept {
    while (Waiter* w = head_) {
      remove(w);
      if (try_claim(w)) return w;
    }
    return nullptr;
  }

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

// Tasks to schedule once the primitive's lock is released (scheduling under
// the lock would lengthen the critical section). Linked through the waiters'
// own `next`: a dequeued waiter is owned by whoever dequeued it until its
// task is scheduled, so nothing else touches those fields.
class WakeList {
 public:
  WakeList() = default;
  WakeList(const WakeList&) = delete;
  WakeList& operator=(const WakeList&) = delete;
  ~WakeList() { wake_all(); }

  void add(Waiter* w) noexcept {
    w->next = nullptr;
    (tail_ ? tail_->next : head_) = w;
    tail_ = w;
  }
  void wake_all() noexcept {
    Waiter* w = std::exchange(head_, nullptr);
    tail_ = nullptr;
    while (w) {
      // Read everything before schedule(): from then on the task may run
      // and free the waiter.
      Waiter* next = w->next;
      TaskHeader* t = w->task;
      schedule(t);
      w = next;
    }
  }

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

// The cancel hook of an ordinary (non-select) wait: run by request_cancel
// on any thread. Withdraws the waiter if it is still queued; if it is not,
// the wait completed normally at the same time and that result stands.
inline void cancel_queued_waiter(CancelHook* hook) noexcept {
  auto* w = static_cast<Waiter*>(hook);
  bool wake = false;
  {
    SpinGuard g(*w->lock);
    if (w->list && try_claim(w)) {
      w->list->remove(w);
      w->state = WaitState::cancelled;
      wake = true;
    }
  }
  // `w` stays alive until its task's await_resume saw `finished` (disarm),
  // so reading w->task after the unlock is safe.
  if (wake) schedule(w->task);
}

// Step 1 of the cancel protocol (cancel_hook.hpp), done while the
// primitive's lock is held and `w` was just queued in `list`. Unlike
// arm_cancel_hook it never runs the hook inline (the hook takes the same lock
// and would deadlock): if the cancel came first and the hook is ours again,
// the waiter is withdrawn right here. Returns true if the task must suspend,
// false if the wait is already over (state cancelled).
inline bool enqueue_cancellable(Waiter& w, WaiterList& list, SpinLock& lock, TaskHeader* task,
                                void (*hook)(CancelHook*) noexcept = &cancel_queued_waiter) noexcept {
  w.task = task;
  w.lock = &lock;
  w.state = WaitState::waiting;
  list.push_back(&w);
  w.fn = hook;
  w.finished.store(false, std::memory_order_relaxed);
  // seq_cst store, then seq_cst load of the flag: pairs with request_cancel's
  // seq_cst fetch_or then exchange, so either we see the flag or the
  // canceller sees our hook (Dekker).
  task->cancel_hook.store(&w, std::memory_order_seq_cst);
  if (!stop_requested_seq_cst(task)) return true;
  if (task->cancel_hook.exchange(nullptr, std::memory_order_acq_rel) != &w)
    return true;  // a canceller owns the hook: it runs once we unlock
  // We took our own hook back: nobody else will run it.
  w.finished.store(true, std::memory_order_relaxed);
  if (!try_claim(&w)) return true;  // select: another branch won meanwhile
  list.remove(&w);
  w.state = WaitState::cancelled;
  return false;
}

// Step 3: in await_resume, before the waiter may die. Only for waits that
// went through enqueue_cancellable (w.task set).
inline void finish_wait(Waiter& w) noexcept { disarm_cancel_hook(w.task, &w); }

// For a waiter whose frame is destroyed while it is still queued (the runtime
// destroying unfinished tasks at shutdown): unlink it so the primitive keeps
// no dangling pointer, and clear the task's cancel hook if it is this one.
// Cheap when the wait finished normally (task null).
inline void abandon_wait(Waiter& w) noexcept {
  if (!w.task || !w.lock) return;
  {
    SpinGuard g(*w.lock);
    if (w.list) w.list->remove(&w);
  }
  CancelHook* mine = &w;
  w.task->cancel_hook.compare_exchange_strong(mine, nullptr, std::memory_order_acq_rel);
}

// For a primitive's destructor: wakes every task still waiting in `list`
// (a lifetime bug in the caller); each throws abandoned_wait_error() from its
// await_resume instead of resuming into freed memory later.
inline void abandon_all(WaiterList& list, SpinLock& lock) noexcept {
  WakeList wake;
  SpinGuard g(lock);
  while (Waiter* w = list.pop_claimable()) {
    w->state = WaitState::abandoned;
    wake.add(w);
  }
}

inline std::logic_error abandoned_wait_error() {
  return std::logic_error("skein: a sync primitive (channel, mutex, ...) was destroyed while this task waited on it");
}

// The awaiter shape shared by every wait that either completes at once or
// queues the task until another task completes it (channel send/recv, lock,
// acquire, wait, ...). CRTP: the awaiter D provides (public, not API)
//   SpinLock& wait_lock();  WaiterList& wait_queue();  Waiter& wait_node();
//   bool try_complete_fast();                  // without the lock held
//   bool try_complete_locked(WakeList& wake);  // lock held; may wake others
//   void before_enqueue();                     // point the node at the payload
// A waiter is completed by whoever pops it (pop_claimable), sets its state
// and schedules its task after unlocking. D's await_resume calls finish().
// D may also provide `static void on_cancel(CancelHook*) noexcept`, its own
// cancel hook (default: cancel_queued_waiter), for a queue where withdrawing
// one waiter can let the ones behind it through (RwLock).
template <class D>
class QueuedWait {
 public:
  bool await_ready() { return self().try_complete_fast() && owed_yield_.go_on_now(); }
  bool await_suspend(std::coroutine_handle<> h) {
    TaskHeader* me = suspend_current(h);
    if (owed_yield_.pay(me)) return true;
    WakeList wake;  // destroyed after the guard: schedules after unlocking
    SpinGuard g(self().wait_lock());
    if (self().try_complete_locked(wake)) return false;
    self().before_enqueue();
    if constexpr (requires { &D::on_cancel; })
      return enqueue_cancellable(self().wait_node(), self().wait_queue(), self().wait_lock(), me, &D::on_cancel);
    else
      return enqueue_cancellable(self().wait_node(), self().wait_queue(), self().wait_lock(), me);
  }

 protected:
  // For D's await_resume: a wait that suspended disarms its cancel hook and
  // throws if it was cancelled or its primitive destroyed.
  void finish() {
    Waiter& w = self().wait_node();
    if (!w.task) return;
    finish_wait(w);
    w.task = nullptr;
    if (w.state == WaitState::cancelled) throw operation_canceled();
    if (w.state == WaitState::abandoned) throw abandoned_wait_error();
  }

 private:
  D& self() noexcept { return static_cast<D&>(*this); }
  OwedYield owed_yield_;
};

// QueuedWait for the primitives whose wait carries no payload. P provides
// (for SimpleWait<P>, a friend): SpinLock lock_; WaiterList waiters_;
// bool try_complete_locked() (lock held: take the resource if free) and
// bool try_complete_fast() (the same without the lock held).
template <class P>
class SimpleWait : public QueuedWait<SimpleWait<P>> {
 public:
  explicit SimpleWait(P& p) noexcept : p_(&p) {}
  SimpleWait(SimpleWait&& o) noexcept : p_(o.p_) {}
  ~SimpleWait() { abandon_wait(node_); }
  void await_resume() { this->finish(); }

  // For QueuedWait.
  SpinLock& wait_lock() noexcept { return p_->lock_; }
  WaiterList& wait_queue() noexcept { return p_->waiters_; }
  Waiter& wait_node() noexcept { return node_; }
  bool try_complete_fast() { return p_->try_complete_fast(); }
  bool try_complete_locked(WakeList&) { return p_->try_complete_locked(); }
  void before_enqueue() noexcept {}

 protected:
  P* p_;

 private:
  Waiter node_;
};

// SimpleWait for primitives whose acquisition is held afterwards (Mutex,
// Semaphore). BUDGET: a task that has spent its budget yields *before* it
// acquires (a short helper task: yield, then the ordinary acquisition), never
// after. Acquiring and then paying the yield, as awaitables that complete an
// operation do (OwedYield), would let every other task on the worker queue up
// behind a holder that is not running; with FIFO hand-off that queue never
// drains, and each acquisition becomes a task switch (a Mutex on one worker:
// 19,871 of 20,000 acquisitions met a queue; mutex_contended 37 -> 16 ms per
// million). A cancel requested meanwhile is seen at that yield.
//
// `Inner` is the plain acquisition (an awaiter constructible from P&, with a
// protected `p_`); HeldAcquireWait<P> is the usual one over SimpleWait<P>.
template <class Inner, class P>
class HeldAcquireWaitOf : public Inner {
 public:
  explicit HeldAcquireWaitOf(P& p) noexcept : Inner(p) {}
  HeldAcquireWaitOf(HeldAcquireWaitOf&& o) noexcept : Inner(std::move(o)) {}

  bool await_ready() {
    if (!coop_has_budget()) return false;  // await_suspend yields first
    return Inner::await_ready();
  }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    if (!coop_has_budget()) {
      later_.emplace(yield_then_acquire(*this->p_));
      return typename Task<void>::Awaiter(*later_).await_suspend(h);  // runs the helper now, in this task
    }
    return Inner::await_suspend(h) ? std::noop_coroutine() : std::coroutine_handle<>(h);
  }
  void await_resume() {
    if (later_)
      typename Task<void>::Awaiter(*later_).await_resume();  // rethrows the helper's cancellation or abandonment
    else
      Inner::await_resume();
  }

 private:
  static Task<void> yield_then_acquire(P& p) {
    co_await YieldAwaiter{};
    co_await Inner(p);  // a fresh budget: the ordinary path
  }
  std::optional<Task<void>> later_;  // the helper, once the budget was spent
};

template <class P>
using HeldAcquireWait = HeldAcquireWaitOf<SimpleWait<P>, P>;

// Tasks waiting in `list` right now (for tests and diagnostics).
inline std::size_t waiting_in(const WaiterList& list, SpinLock& lock) noexcept {
  SpinGuard g(lock);
  return list.size();
}

// Pops every waiter of `list` into `wake` as completed.
inline void complete_all(WaiterList& list, WakeList& wake) noexcept {
  while (Waiter* w = list.pop_claimable()) {
    w->state = WaitState::completed;
    wake.add(w);
  }
}

// Pops the first waiter of `list` into `wake` as completed; false if none.
inline bool complete_one(WaiterList& list, WakeList& wake) noexcept {
  Waiter* w = list.pop_claimable();
  if (!w) return false;
  w->state = WaitState::completed;
  wake.add(w);
  return true;
}

}  // namespace skein::detail
