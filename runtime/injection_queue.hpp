// InjectionQueue: the global queue for tasks scheduled from outside a worker,
// for yields, and for the overflow of full local queues.
//
// ALGORITHM: moodycamel::ConcurrentQueue (lock-free MPMC, FIFO per producer)
// plus an exact count of queued tasks, `length_`, that the parking protocol
// reads (idle.hpp, step 3 and 5): "is anything queued?" must be answered by
// one atomic that a push is guaranteed to have updated before it notifies.
//
// THREAD SAFETY: every member may be called from any thread. Workers pass
// their own producer/consumer tokens for speed; other threads use none.
//
// MEMORY ORDERS: push enqueues first, then increments `length_` with a seq_cst
// RMW; a parking worker reads `length_` after its own seq_cst fence, so either
// it sees the task or the pusher sees it parked (Dekker). pop decrements after
// a successful dequeue (relaxed: it only lowers the count; a stale high value
// costs one extra look, never a lost task).
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "skein/detail/task_header.hpp"

namespace skein::detail {

class InjectionQueue {
 public:
  using Item = TaskHeader*;
  using ProducerToken = moodycamel::ProducerToken;
  using ConsumerToken = moodycamel::ConsumerToken;

  ProducerToken make_producer_token() { return ProducerToken(queue_); }
  ConsumerToken make_consumer_token() { return ConsumerToken(queue_); }

  void push(Item t) {
    queue_.enqueue(t);
    length_.fetch_add(1, std::memory_order_seq_cst);
  }
  void push(ProducerToken& token, Item t) {
    queue_.enqueue(token, t);
    length_.fetch_add(1, std::memory_order_seq_cst);
  }
  template <class It>
  void push_bulk(ProducerToken& token, It first, std::size_t n) {
    queue_.enqueue_bulk(token, first, n);
    length_.fetch_add(static_cast<std::int64_t>(n), std::memory_order_seq_cst);
  }

  Item pop() {
    if (length_.load(std::memory_order_relaxed) <= 0) return nullptr;
    Item t = nullptr;
    if (!queue_.try_dequeue(t)) return nullptr;
    length_.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }
  Item pop(ConsumerToken& token) {
    if (length_.load(std::memory_order_relaxed) <= 0) return nullptr;
    Item t = nullptr;
    if (!queue_.try_dequeue(token, t)) return nullptr;
    length_.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }
  // Up to `max` tasks into `out`; returns how many.
  std::size_t pop_bulk(ConsumerToken& token, Item* out, std::size_t max) {
    if (length_.load(std::memory_order_relaxed) <= 0) return 0;
    const std::size_t n = queue_.try_dequeue_bulk(token, out, max);
    if (n) length_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    return n;
  }

  // Any thread. After a seq_cst fence, a task whose push completed is counted.
  bool has_work() const noexcept { return length_.load(std::memory_order_seq_cst) > 0; }
  std::size_t size() const noexcept {
    const std::int64_t n = length_.load(std::memory_order_relaxed);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

 private:
  moodycamel::ConcurrentQueue<Item> queue_;
  std::atomic<std::int64_t> length_{0};
};

}  // namespace skein::detail
