// skein::RwLock: many readers or one writer; waiting suspends the task, not
// the thread.
//
//   skein::RwLock lock;
//   {
//     auto r = co_await lock.read();    // RwLock::ReadGuard: shared
//     use(config);
//   }
//   {
//     auto w = co_await lock.write();   // RwLock::WriteGuard: exclusive
//     config = reload();
//     auto r = std::move(w).downgrade();  // now shared, with no writer in between
//   }
//
// FAIRNESS: one FIFO queue of readers and writers. A reader that arrives
// while anyone waits queues behind them, so a writer is never starved by a
// stream of readers, nor a reader by writers. When the lock frees, it goes to
// the head of the queue: a writer alone, or every reader up to the next
// writer at once. A cancelled waiter leaves the queue, and whoever it was
// holding back goes in (a writer cancelled behind active readers lets the
// readers queued after it in).
//
// BUDGET: as Mutex, a task that has spent its cooperative budget yields
// before it acquires, never while holding (detail::HeldAcquireWaitOf).
//
// ALGORITHM / MEMORY ORDER: a SpinLock guards the reader count, the writer
// flag and the queue; every acquisition and release happens under it, so a
// holder's writes are visible to the next holder (the lock's release/acquire,
// or schedule() for a hand-off to a waiting task).
//
// THREAD SAFETY: any thread; read()/write() inside a skein task. Guards may be
// released on another worker than the one that acquired (tasks migrate).
// Destroying an RwLock that tasks wait on makes their waits throw
// std::logic_error.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>

#include "skein/cancel.hpp"

namespace skein {

class RwLock {
 public:
  RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  ~RwLock() { detail::abandon_all(waiters_, lock_); }

  // Owns the lock, shared (ReadGuard) or exclusive (WriteGuard); releases it
  // when destroyed. Movable.
  template <bool kWrite>
  class [[nodiscard]] Guard {
   public:
    Guard() = default;
    Guard(Guard&& o) noexcept : rw_(std::exchange(o.rw_, nullptr)) {}
    Guard& operator=(Guard&& o) noexcept {
      if (this != &o) {
        reset();
        rw_ = std::exchange(o.rw_, nullptr);
      }
      return *this;
    }
    ~Guard() { reset(); }
    bool owns_lock() const noexcept { return rw_ != nullptr; }
    void unlock() {
      if (!rw_) throw std::logic_error("skein::RwLock guard: unlock of a guard that owns no lock");
      reset();
    }
    // Exclusive -> shared, atomically: no writer can get in between; readers
    // queued at the head come in with it.
    Guard<false> downgrade() &&
      requires kWrite
    {
      if (!rw_) throw std::logic_error("skein::RwLock::WriteGuard::downgrade: the guard owns no lock");
      RwLock* rw = std::exchange(rw_, nullptr);
      rw->downgrade_locked_writer();
      return Guard<false>(rw);
    }

   private:
    friend class RwLock;
    explicit Guard(RwLock* rw) noexcept : rw_(rw) {}
    void reset() noexcept {
      if (rw_) std::exchange(rw_, nullptr)->release(kWrite);
    }
    RwLock* rw_ = nullptr;
  };
  using ReadGuard = Guard<false>;
  using WriteGuard = Guard<true>;

 private:
  struct RwWaiter : detail::Waiter {
    bool writer = false;
    RwLock* rw = nullptr;
  };

  // The plain acquisition (one of the two kinds), a QueuedWait with its own
  // cancel hook.
  template <bool kWriter>
  class Acquire : public detail::QueuedWait<Acquire<kWriter>> {
   public:
    explicit Acquire(RwLock& rw) noexcept : p_(&rw) {}
    Acquire(Acquire&& o) noexcept : p_(o.p_) {}
    ~Acquire() { detail::abandon_wait(node_); }
    void await_resume() { this->finish(); }

    // For QueuedWait.
    detail::SpinLock& wait_lock() noexcept { return p_->lock_; }
    detail::WaiterList& wait_queue() noexcept { return p_->waiters_; }
    detail::Waiter& wait_node() noexcept { return node_; }
    bool try_complete_fast() noexcept {
      detail::SpinGuard g(p_->lock_);
      return p_->try_acquire_locked(kWriter);
    }
    bool try_complete_locked(detail::WakeList&) noexcept { return p_->try_acquire_locked(kWriter); }
    void before_enqueue() noexcept {
      node_.writer = kWriter;
      node_.rw = p_;
    }
    // Any thread (request_cancel). Withdraws the waiter if still queued, and
    // lets through whoever it was holding back.
    static void on_cancel(detail::CancelHook* hook) noexcept {
      auto* w = static_cast<RwWaiter*>(hook);
      detail::WakeList wake;  // destroyed after the guard: schedules after unlocking
      bool withdrawn = false;
      {
        detail::SpinGuard g(w->rw->lock_);
        if (w->list) {
          w->list->remove(w);
          w->state = detail::WaitState::cancelled;
          withdrawn = true;
          w->rw->grant_locked(wake);
        }
      }
      // `w` lives until its task's await_resume saw the hook finished.
      if (withdrawn) detail::schedule(w->task);
    }

   protected:
    RwLock* p_;

   private:
    RwWaiter node_;
  };

  template <bool kWriter>
  using HeldAcquire = detail::HeldAcquireWaitOf<Acquire<kWriter>, RwLock>;

 public:
  class [[nodiscard]] ReadAwaiter : public HeldAcquire<false> {
   public:
    using HeldAcquireWaitOf::HeldAcquireWaitOf;
    ReadGuard await_resume() {
      HeldAcquireWaitOf::await_resume();
      return ReadGuard(this->p_);
    }
  };
  class [[nodiscard]] WriteAwaiter : public HeldAcquire<true> {
   public:
    using HeldAcquireWaitOf::HeldAcquireWaitOf;
    WriteGuard await_resume() {
      HeldAcquireWaitOf::await_resume();
      return WriteGuard(this->p_);
    }
  };

  // co_await: a ReadGuard (shared access).
  ReadAwaiter read() noexcept { return ReadAwaiter(*this); }
  // co_await: a WriteGuard (exclusive access).
  WriteAwaiter write() noexcept { return WriteAwaiter(*this); }

  // Without waiting: a guard that owns the lock, or an empty one (owns_lock()
  // false) if it is held or anyone waits.
  ReadGuard try_read() {
    detail::SpinGuard g(lock_);
    return try_acquire_locked(false) ? ReadGuard(this) : ReadGuard();
  }
  WriteGuard try_write() {
    detail::SpinGuard g(lock_);
    return try_acquire_locked(true) ? WriteGuard(this) : WriteGuard();
  }

  // For tests and diagnostics.
  std::size_t readers() const {
    detail::SpinGuard g(lock_);
    return readers_;
  }
  bool write_locked() const {
    detail::SpinGuard g(lock_);
    return writer_;
  }
  std::size_t waiting() const noexcept { return detail::waiting_in(waiters_, lock_); }

 private:
  // Lock held. Never past a waiter (FIFO).
  bool try_acquire_locked(bool writer) noexcept {
    if (writer_ || !waiters_.empty()) return false;
    if (writer) {
      if (readers_ > 0) return false;
      writer_ = true;
    } else {
      ++readers_;
    }
    return true;
  }

  // Lock held. Hands the lock to the head of the queue: one writer, or every
  // reader up to the next writer.
  void grant_locked(detail::WakeList& wake) noexcept {
    while (detail::Waiter* head = waiters_.front()) {
      auto* w = static_cast<RwWaiter*>(head);
      if (writer_ || (w->writer && readers_ > 0)) return;
      waiters_.remove(w);
      if (w->writer)
        writer_ = true;
      else
        ++readers_;
      w->state = detail::WaitState::completed;
      wake.add(w);
      if (writer_) return;
    }
  }

  void release(bool writer) noexcept {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    if (writer)
      writer_ = false;
    else
      --readers_;
    grant_locked(wake);
  }

  void downgrade_locked_writer() noexcept {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    writer_ = false;
    ++readers_;
    grant_locked(wake);
  }

  mutable detail::SpinLock lock_;
  std::size_t readers_ = 0;
  bool writer_ = false;
  detail::WaiterList waiters_;
};

}  // namespace skein
