// Inbox: requests from any thread to a ring's owner thread (cancel an
// operation, withdraw a sleeper). A Treiber stack of intrusive nodes.
//
// ALGORITHM: push() links the node in with a CAS on `head_`; drain() takes the
// whole list with one exchange and runs it oldest first. No ABA: the owner
// never pops single nodes, it only swaps the head for null.
//
// THREAD SAFETY: push() from any thread; drain() and empty() only by the
// owner (IoParker). A node is owned by the pusher's operation and must stay
// alive until the owner ran it (the operation's completion protocol in
// operation.hpp guarantees that: the task resumes only after its node ran).
//
// MEMORY ORDERS: push's CAS is seq_cst: release so the node's contents are
// visible to drain's acquire exchange, and seq_cst because IoParker::post()
// follows it with a seq_cst load of the park state (Dekker with park(), see
// io_parker.hpp). empty() is seq_cst for the same pairing.
#pragma once

#include <atomic>

namespace skein::io {

struct InboxNode {
  InboxNode* next = nullptr;
  void (*run)(InboxNode*) noexcept = nullptr;
};

class Inbox {
 public:
  void push(InboxNode* n) noexcept {
    InboxNode* head = head_.load(std::memory_order_relaxed);
    do n->next = head;
    while (!head_.compare_exchange_weak(head, n, std::memory_order_seq_cst, std::memory_order_relaxed));
  }

  bool empty() const noexcept { return head_.load(std::memory_order_seq_cst) == nullptr; }

  // Owner only. Returns the number of nodes run.
  std::size_t drain() noexcept {
    if (head_.load(std::memory_order_relaxed) == nullptr) return 0;
    InboxNode* list = head_.exchange(nullptr, std::memory_order_acquire);
    // The stack is newest first: reverse so requests run in arrival order.
    InboxNode* fifo = nullptr;
    while (list) {
      InboxNode* next = list->next;
      list->next = fifo;
      fifo = list;
      list = next;
    }
    std::size_t n = 0;
    while (fifo) {
      InboxNode* next = fifo->next;  // read before run(): the node may be reused by then
      fifo->run(fifo);
      fifo = next;
      ++n;
    }
    return n;
  }

 private:
  std::atomic<InboxNode*> head_{nullptr};
};

}  // namespace skein::io
