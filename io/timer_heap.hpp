// TimerHeap: one worker's pending deadlines, a binary min-heap.
//
// The nodes live elsewhere (a sleeping coroutine's frame, or a heap-allocated
// with_timeout deadline); the heap stores the deadline next to the pointer so
// sifting never touches the nodes except to update their index (O(log n)
// removal of a cancelled sleeper). 1,000,000 sleepers cost 16 MB here plus
// their frames.
//
// The worker's ring has no timeout operation per sleeper: the worker sleeps in
// io_uring_submit_and_wait_timeout with the nearest deadline as its timeout
// (one "ring timeout" for the nearest deadline), and expired nodes are fired
// on every poll.
//
// THREAD SAFETY: owner thread only (IoParker); other threads withdraw a
// sleeper through the inbox. published_size() is the one exception: any
// thread, a relaxed copy of the size kept for the stats (a relaxed store per
// push and removal; nobody orders anything by it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace skein::io {

struct TimerNode {
  static constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);
  std::int64_t deadline_ns = 0;       // CLOCK_MONOTONIC (steady_clock)
  std::size_t heap_index = kNotQueued;
  void (*fire)(TimerNode*) noexcept = nullptr;
  // For nodes the heap co-owns (with_timeout): dropped when the ring is
  // destroyed with the node still queued. Null for nodes in frames.
  void (*drop)(TimerNode*) noexcept = nullptr;
};

class TimerHeap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  std::size_t published_size() const noexcept { return published_size_.load(std::memory_order_relaxed); }
  std::int64_t next_deadline() const noexcept { return heap_.front().deadline; }

  void push(TimerNode* n) {
    heap_.push_back({n->deadline_ns, n});
    n->heap_index = heap_.size() - 1;
    sift_up(heap_.size() - 1);
    publish_size();
  }

  // Removes `n` if it is queued; true if it was.
  bool remove(TimerNode* n) noexcept {
    const std::size_t i = n->heap_index;
    if (i == TimerNode::kNotQueued) return false;
    n->heap_index = TimerNode::kNotQueued;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = heap_[last];
      heap_[i].node->heap_index = i;
      heap_.pop_back();
      sift_down(i);
      sift_up(i);
    } else {
      heap_.pop_back();
    }
    publish_size();
    return true;
  }

  // Removes and returns the earliest node if it is due at `now_ns`.
  TimerNode* pop_due(std::int64_t now_ns) noexcept {
    if (heap_.empty() || heap_.front().deadline > now_ns) return nullptr;
    TimerNode* n = heap_.front().node;
    remove(n);
    return n;
  }

  // Ring teardown: drop the co-owned nodes; frame-owned ones are left alone
  // (their frames are destroyed by the runtime, and their destructor finds
  // them already unqueued).
  void drop_all() noexcept {
    auto entries = std::move(heap_);
    heap_.clear();
    publish_size();
    for (auto& e : entries) {
      e.node->heap_index = TimerNode::kNotQueued;
      if (e.node->drop) e.node->drop(e.node);
    }
  }

 private:
  struct Entry {
    std::int64_t deadline;
    TimerNode* node;
  };

  void publish_size() noexcept { published_size_.store(heap_.size(), std::memory_order_relaxed); }
  void place(std::size_t i, Entry e) noexcept {
    heap_[i] = e;
    e.node->heap_index = i;
  }
  void sift_up(std::size_t i) noexcept {
    Entry e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (heap_[parent].deadline <= e.deadline) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, e);
  }
  void sift_down(std::size_t i) noexcept {
    Entry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].deadline < heap_[child].deadline) ++child;
      if (heap_[child].deadline >= e.deadline) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, e);
  }

  std::vector<Entry> heap_;
  std::atomic<std::size_t> published_size_{0};
};

}  // namespace skein::io
