// skein::Channel<T>: a multi-producer multi-consumer channel between tasks.
//
//   skein::Channel<int> ch(1024);                  // bounded: send waits while 1024 are queued
//   skein::Channel<int> rv(0);                     // rendezvous: send waits for a receiver
//   skein::Channel<int> un(skein::unbounded);      // send never waits
//   co_await ch.send(7);
//   while (auto v = co_await ch.recv()) use(*v);   // nullopt once closed and drained
//   ch.close();
//   auto v = co_await ch.recv_for(100ms);         // throws std::system_error(timed_out) after 100 ms
//
// A Channel is neither copyable nor movable (suspended tasks point into it);
// share it by reference or std::shared_ptr, and keep it alive until every task
// using it finished.
//
// CLOSE: close() is idempotent and any thread may call it. Items already in
// the channel are still delivered; recv() returns nullopt once the channel is
// closed and empty. A send that did not complete before close() (called
// after it, or suspended waiting for room or a receiver) throws
// skein::send_failed<T>, whose `value` hands the item back; try_send returns
// SendStatus::closed and leaves its argument untouched. Every waiting sender
// and receiver is woken. No item is lost or duplicated: an item is either in
// the buffer, in exactly one suspended sender, or delivered.
//
// CANCELLATION: a task suspended in send() or recv() that is cancelled
// throws skein::operation_canceled; a cancelled send did not happen (its
// value is dropped with the awaiter), a cancelled recv took nothing.
//
// ALGORITHM: a SpinLock guards two intrusive FIFO lists of suspended waiters
// (receivers, senders); the items live in one of two buffers.
//  * Bounded, capacity 1..65536, T with a nothrow move (the usual case):
//    a lock-free BoundedRing (detail/bounded_ring.hpp, Vyukov's array
//    queue). While nobody waits, send and recv are one CAS and one stamp
//    store each, and never touch the lock. A receiver that finds the ring
//    empty takes the lock and, with a CAS that re-checks "still empty",
//    diverts producers to the lock before it queues itself; a sender that
//    finds it full diverts both sides ("still full") before it queues. While
//    diverted, only lock holders move items, exactly as below, so waiters
//    are served in order and a select() branch is completed only together
//    with its item. The last waiter served (or a stale diversion found by
//    the next locked operation) turns the lock-free paths back on.
//  * Rendezvous, unbounded, larger bounds, throwing moves: a ring buffer
//    under the lock (power-of-two storage growing by doubling up to the
//    capacity, so a large bound costs nothing until used).
// Under the lock:
//   send: a receiver waits -> the value goes straight into its awaiter (hand
//         off) and it is woken; else room in the buffer -> push; else the
//         sender queues itself with a pointer to its value.
//   recv: buffer not empty -> pop, and if a sender waits, move its value into
//         the freed slot and wake it; else a sender waits (rendezvous) -> take
//         its value and wake it; else closed -> nullopt; else queue itself
//         with a pointer to its result slot.
// Invariants: receivers wait only while the buffer is empty; senders wait
// only while it is full (for cap 0: always). The waiter nodes live in the
// awaiters, i.e. in the waiting coroutines' frames: no allocation per item
// or per wait. Tasks are scheduled after the lock is released (WakeList).
// close() sets the ring's closed bit with one RMW, so a lock-free send
// either claimed its slot before (and is delivered) or fails.
//
// WHY LOCK-FREE ITEMS: with the lock on every item, a producer and a
// consumer on two workers moved its cache line twice per item: SPSC cap 1024
// ran at 11 M items/s with 2 workers, against 48 M with 1. The ring moves a
// slot line per 4 items of 8 bytes and keeps the producer's and consumer's
// positions on separate lines: 53-62 M items/s with 2 workers (this 2-core VM,
// clang -O2, `skein_bench --benchmark_filter=channel_spsc`). Waiting stays
// under the lock, which is simple and costs only when a side must sleep.
//
// DESTRUCTION with tasks still waiting (a lifetime bug in the caller): they
// are woken and throw std::logic_error rather than resume into freed memory.
//
// MEMORY ORDER: the ring's items are published by its slot stamps
// (bounded_ring.hpp); every other shared field is read and written under the
// lock (acquire/release); a woken task reads its result after schedule(),
// whose queue hand-over is a release/acquire pair. The cancel hook protocol
// is in cancel.hpp.
//
// THREAD SAFETY: every member function may be called from any thread;
// send/recv must be awaited inside a skein task. try_* never suspend.
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "skein/cancel.hpp"
#include "skein/detail/bounded_ring.hpp"
#include "skein/detail/context.hpp"
#include "skein/error.hpp"
#include "skein/join_handle.hpp"
#include "skein/task.hpp"
#include "skein/time.hpp"

namespace skein {

// The channel was closed.
class channel_closed : public std::runtime_error {
 public:
  explicit channel_closed(const std::string& what = "skein: channel closed") : std::runtime_error(what) {}
};

// A send that could not complete because the channel was closed; `value` is
// the item that was not sent.
template <class T>
class send_failed : public channel_closed {
 public:
  explicit send_failed(T v) : channel_closed("skein: send on a closed channel"), value(std::move(v)) {}
  T value;
};

enum class SendStatus { sent, full, closed };
enum class RecvStatus { received, empty, closed };

struct unbounded_t {
  explicit constexpr unbounded_t() = default;
};
inline constexpr unbounded_t unbounded{};

namespace detail {

// FIFO ring of T with power-of-two storage, grown by doubling on demand.
// Not thread-safe (the channel's lock guards it).
template <class T>
class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    while (size_) pop();
    std::allocator<T>().deallocate(buf_, storage_);
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  template <class U>
  void push(U&& v) {
    if (size_ == storage_) grow();
    std::construct_at(buf_ + ((head_ + size_) & (storage_ - 1)), std::forward<U>(v));
    ++size_;
  }
  T pop() {
    T* slot = buf_ + head_;
    T v(std::move(*slot));
    std::destroy_at(slot);
    head_ = (head_ + 1) & (storage_ - 1);
    --size_;
    return v;
  }

 private:
  void grow() {
    std::size_t n = storage_ ? storage_ * 2 : 16;
    T* nb = std::allocator<T>().allocate(n);
    for (std::size_t i = 0; i < size_; ++i) {
      T* from = buf_ + ((head_ + i) & (storage_ - 1));
      std::construct_at(nb + i, std::move(*from));
      std::destroy_at(from);
    }
    std::allocator<T>().deallocate(buf_, storage_);
    buf_ = nb;
    storage_ = n;
    head_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t storage_ = 0;  // 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace detail

template <class T>
class Channel {
  struct SendWaiter : detail::Waiter {
    T* value = nullptr;  // the suspended sender's item
  };
  struct RecvWaiter : detail::Waiter {
    std::optional<T>* slot = nullptr;  // where a sender puts the item
  };

 public:
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  // capacity 0: rendezvous.
  explicit Channel(std::size_t capacity) : capacity_(capacity) {
    if constexpr (kLockFreeItems) {
      if (capacity_ != 0 && capacity_ <= kMaxRingCapacity) ring_.emplace(capacity_);
    }
  }
  explicit Channel(unbounded_t) : capacity_(kUnbounded) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  ~Channel() {
    // A task still waiting on a destroyed channel is a lifetime bug in the
    // caller: it throws std::logic_error instead of resuming into freed memory.
    detail::abandon_all(receivers_, lock_);
    detail::abandon_all(senders_, lock_);
  }

  std::size_t capacity() const noexcept { return capacity_; }
  bool is_unbounded() const noexcept { return capacity_ == kUnbounded; }
  std::size_t size() const {
    if (ring_) return ring_->size();
    detail::SpinGuard g(lock_);
    return buffer_.size();
  }
  // Tasks suspended in recv() / send() right now (for tests and diagnostics).
  std::size_t waiting_receivers() const {
    detail::SpinGuard g(lock_);
    return receivers_.size();
  }
  std::size_t waiting_senders() const {
    detail::SpinGuard g(lock_);
    return senders_.size();
  }
  bool is_closed() const {
    detail::SpinGuard g(lock_);
    return closed_;
  }

  // Closes the channel (see CLOSE above). Returns false if it already was.
  bool close() {
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    if (closed_) return false;
    closed_ = true;
    if (ring_) ring_->close();
    while (detail::Waiter* w = receivers_.pop_claimable()) {
      w->state = detail::WaitState::closed;
      wake.add(w);
    }
    while (detail::Waiter* w = senders_.pop_claimable()) {
      w->state = detail::WaitState::closed;
      wake.add(w);
    }
    return true;  // the guard unlocks first, then `wake` schedules
  }

  // Never suspends. Moves from `value` only when it returns sent.
  SendStatus try_send(T&& value) {
    if (ring_) {
      if (const SendStatus s = send_lock_free(value); s != SendStatus::full) return s;
    }
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    return send_locked(value, wake, /*will_wait=*/false);
  }
  SendStatus try_send(const T& value)
    requires std::copy_constructible<T>
  {
    T copy(value);
    return try_send(std::move(copy));
  }

  // Never suspends.
  RecvStatus try_recv(std::optional<T>& out) {
    if (ring_) {
      if (const RecvStatus s = recv_lock_free(out); s != RecvStatus::empty) return s;
    }
    detail::WakeList wake;
    detail::SpinGuard g(lock_);
    return recv_locked(out, wake, /*will_wait=*/false);
  }
  std::optional<T> try_recv() {
    std::optional<T> out;
    try_recv(out);
    return out;
  }

  // What SendAwaiter and RecvAwaiter share: the wait (QueuedWait) and the
  // hooks select() drives. Op provides try_complete_lock_free,
  // try_complete_locked, wait_queue, before_enqueue and select_take.
  template <class Op, class Node>
  class OpBase : public detail::QueuedWait<Op> {
   public:
    explicit OpBase(Channel& ch) noexcept : ch_(&ch) {}
    // Movable before it is awaited (so select() and helpers can hold it).
    OpBase(OpBase&& o) noexcept : ch_(o.ch_) {}
    ~OpBase() { detail::abandon_wait(node_); }

    // For QueuedWait and select(); not API.
    detail::SpinLock& wait_lock() noexcept { return ch_->lock_; }
    detail::Waiter& wait_node() noexcept { return node_; }
    bool try_complete_fast() {
      if (ch_->ring_ && op().try_complete_lock_free()) return true;
      detail::WakeList wake;
      detail::SpinGuard g(ch_->lock_);
      return op().try_complete_locked(wake, /*will_wait=*/false);
    }
    detail::SpinLock& select_lock() noexcept { return ch_->lock_; }
    bool select_try_locked(detail::WakeList& wake) { return op().try_complete_locked(wake); }
    void select_enqueue(detail::TaskHeader* me, std::atomic<bool>* claim) noexcept {
      node_.task = me;
      node_.lock = &ch_->lock_;
      node_.claim = claim;
      node_.state = detail::WaitState::waiting;
      op().before_enqueue();
      op().wait_queue().push_back(&node_);
    }
    void select_withdraw_locked() noexcept {  // lock held
      if (node_.list) node_.list->remove(&node_);
      node_.task = nullptr;
    }
    detail::WaitState select_state() const noexcept { return node_.state; }

   protected:
    Op& op() noexcept { return static_cast<Op&>(*this); }
    // The state an immediate completion leaves in the node.
    void set_done(bool completed) noexcept {
      node_.state = completed ? detail::WaitState::completed : detail::WaitState::closed;
    }
    void throw_if_abandoned() const {
      if (node_.state == detail::WaitState::abandoned) throw detail::abandoned_wait_error();
    }

    Channel* ch_;
    Node node_;
  };

  class [[nodiscard]] SendAwaiter : public OpBase<SendAwaiter, SendWaiter> {
    using Base = OpBase<SendAwaiter, SendWaiter>;

   public:
    SendAwaiter(Channel& ch, T&& v) : Base(ch), value_(std::move(v)) {}
    SendAwaiter(SendAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
        : Base(std::move(o)), value_(std::move(o.value_)) {}

    void await_resume() {
      this->finish();
      if (this->node_.state != detail::WaitState::completed) throw send_failed<T>(std::move(value_));
    }

    // For QueuedWait and select(); not API.
    using select_result = std::monostate;  // what this branch of a select() yields
    detail::WaiterList& wait_queue() noexcept { return this->ch_->senders_; }
    bool try_complete_lock_free() { return settle(this->ch_->send_lock_free(value_)); }
    bool try_complete_locked(detail::WakeList& wake, bool will_wait = true) {
      return settle(this->ch_->send_locked(value_, wake, will_wait));
    }
    void before_enqueue() noexcept { this->node_.value = &value_; }
    select_result select_take() {
      this->throw_if_abandoned();
      if (this->node_.state != detail::WaitState::completed) throw send_failed<T>(std::move(value_));
      return {};
    }

   private:
    // Whether the send is over (sent or closed), recorded in the node.
    bool settle(SendStatus s) noexcept {
      if (s == SendStatus::full) return false;
      this->set_done(s == SendStatus::sent);
      return true;
    }

    T value_;
  };

  class [[nodiscard]] RecvAwaiter : public OpBase<RecvAwaiter, RecvWaiter> {
    using Base = OpBase<RecvAwaiter, RecvWaiter>;

   public:
    explicit RecvAwaiter(Channel& ch) noexcept : Base(ch) {}
    RecvAwaiter(RecvAwaiter&& o) noexcept : Base(std::move(o)) {}

    std::optional<T> await_resume() {
      this->finish();
      return std::move(result_);  // empty when closed
    }

    // For QueuedWait and select(); not API.
    using select_result = std::optional<T>;  // what this branch of a select() yields
    detail::WaiterList& wait_queue() noexcept { return this->ch_->receivers_; }
    bool try_complete_lock_free() { return settle(this->ch_->recv_lock_free(result_)); }
    bool try_complete_locked(detail::WakeList& wake, bool will_wait = true) {
      return settle(this->ch_->recv_locked(result_, wake, will_wait));
    }
    void before_enqueue() noexcept { this->node_.slot = &result_; }
    select_result select_take() {
      this->throw_if_abandoned();
      return std::move(result_);
    }

   private:
    // Whether the receive is over (an item, or closed and drained), recorded in the node.
    bool settle(RecvStatus s) noexcept {
      if (s == RecvStatus::empty) return false;
      this->set_done(s == RecvStatus::received);
      return true;
    }

    std::optional<T> result_;
  };

  // co_await: completes when the item is in the channel or handed to a
  // receiver. Throws send_failed<T> (with the item) if the channel is closed.
  SendAwaiter send(T value) { return SendAwaiter(*this, std::move(value)); }
  // co_await: the next item, or nullopt once the channel is closed and empty.
  RecvAwaiter recv() noexcept { return RecvAwaiter(*this); }

  // co_await: as recv(), but waits at most `timeout`; then throws
  // std::system_error with std::errc::timed_out (as skein::with_timeout,
  // which it is built on: no spawn). An item already there is taken without
  // waiting (and without a timer). The item is either returned or left in the
  // channel, never lost. Cancelling the awaiting task stops it at once.
  template <class Rep, class Period>
  Task<std::optional<T>> recv_for(std::chrono::duration<Rep, Period> timeout) {
    std::optional<T> out;
    if (try_recv(out) != RecvStatus::empty) co_return out;
    co_return co_await with_timeout(timeout, recv_task(this));
  }

 private:
  static Task<std::optional<T>> recv_task(Channel* ch) { co_return co_await ch->recv(); }

  // Lock held. Moves from `v` only when it returns sent. `will_wait`: on
  // `full` the caller queues itself as a sender (ring: divert to the lock).
  SendStatus send_locked(T& v, detail::WakeList& wake, bool will_wait) {
    if (closed_) return SendStatus::closed;
    if (detail::Waiter* w = receivers_.pop_claimable()) {
      *static_cast<RecvWaiter*>(w)->slot = std::move(v);
      w->state = detail::WaitState::completed;
      wake.add(w);
      if (ring_ && receivers_.empty()) ring_->undivert();
      return SendStatus::sent;
    }
    if (ring_) return send_to_ring_locked(v, will_wait);
    if (buffer_.size() < capacity_) {
      buffer_.push(std::move(v));
      return SendStatus::sent;
    }
    return SendStatus::full;
  }

  // Ring mode, without the lock. `full` (`empty`) also when tasks wait and
  // the ring diverts this side to the lock: the locked path decides.
  SendStatus send_lock_free(T& v) noexcept {
    switch (ring_->try_push(v)) {
      case ItemRing::Push::ok:
        return SendStatus::sent;
      case ItemRing::Push::closed:
        return SendStatus::closed;
      default:
        return SendStatus::full;
    }
  }
  RecvStatus recv_lock_free(std::optional<T>& out) noexcept {
    switch (ring_->try_pop(out)) {
      case ItemRing::Pop::ok:
        return RecvStatus::received;
      case ItemRing::Pop::closed:
        return RecvStatus::closed;
      default:
        return RecvStatus::empty;
    }
  }

  // Lock held; ring mode, no receiver waits.
  SendStatus send_to_ring_locked(T& v, bool will_wait) {
    // Senders wait only while the ring is full (and frozen): queue behind them.
    if (!senders_.empty()) return SendStatus::full;
    ring_->undivert();  // nobody waits: a diversion left behind is stale
    for (;;) {
      switch (ring_->try_push(v, /*as_lock_holder=*/true)) {
        case ItemRing::Push::ok:
          return SendStatus::sent;
        case ItemRing::Push::full:
          if (!will_wait || ring_->divert_if_full()) return SendStatus::full;
          continue;  // a receiver made room meanwhile
        default:  // closed or diverted: cannot happen under the lock with closed_ false
          return SendStatus::closed;
      }
    }
  }

  // Lock held; ring mode.
  RecvStatus recv_from_ring_locked(std::optional<T>& out, detail::WakeList& wake, bool will_wait) {
    for (;;) {
      switch (ring_->try_pop(out, /*as_lock_holder=*/true)) {
        case ItemRing::Pop::ok:
          // The ring was full and frozen: the room goes to the longest-waiting sender.
          if (detail::Waiter* w = senders_.pop_claimable()) {
            ring_->try_push(*static_cast<SendWaiter*>(w)->value, true);  // ok: we just freed the slot at the frozen tail
            w->state = detail::WaitState::completed;
            wake.add(w);
          }
          if (senders_.empty()) ring_->undivert();
          return RecvStatus::received;
        case ItemRing::Pop::closed:
          return RecvStatus::closed;
        default:  // empty
          if (!will_wait || ring_->divert_if_empty()) return RecvStatus::empty;
          continue;  // an item arrived meanwhile
      }
    }
  }

  // Lock held. Leaves `out` untouched unless it returns received.
  RecvStatus recv_locked(std::optional<T>& out, detail::WakeList& wake, bool will_wait) {
    if (ring_) return recv_from_ring_locked(out, wake, will_wait);
    if (!buffer_.empty()) {
      out.emplace(buffer_.pop());
      // Room was made: the longest-waiting sender fills it.
      if (detail::Waiter* w = senders_.pop_claimable()) {
        buffer_.push(std::move(*static_cast<SendWaiter*>(w)->value));
        w->state = detail::WaitState::completed;
        wake.add(w);
      }
      return RecvStatus::received;
    }
    if (detail::Waiter* w = senders_.pop_claimable()) {  // rendezvous
      out.emplace(std::move(*static_cast<SendWaiter*>(w)->value));
      w->state = detail::WaitState::completed;
      wake.add(w);
      return RecvStatus::received;
    }
    return closed_ ? RecvStatus::closed : RecvStatus::empty;
  }

  using ItemRing = detail::BoundedRing<T>;
  // Bounded channels keep their items in a lock-free BoundedRing when a move
  // cannot throw (a claimed ring slot must be filled).
  static constexpr bool kLockFreeItems = std::is_nothrow_move_constructible_v<T>;
  // The ring allocates its slots up front; larger bounds grow a buffer on demand.
  static constexpr std::size_t kMaxRingCapacity = std::size_t{1} << 16;

  const std::size_t capacity_;
  mutable detail::SpinLock lock_;
  bool closed_ = false;
  std::optional<ItemRing> ring_;  // bounded, capacity >= 1, kLockFreeItems
  detail::Ring<T> buffer_;    // the others (growable, under the lock)
  detail::WaiterList receivers_;
  detail::WaiterList senders_;
};

}  // namespace skein
