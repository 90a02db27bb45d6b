// Idle: which workers search for work, which sleep, and who wakes whom.
//
// `state_` packs two counts in one word so both change in one RMW:
//   searching  (low 16 bits)  workers looking for work to steal
//   unparked   (high 16 bits) workers not asleep (running or searching)
// `sleepers_` (under `mutex_`) lists the parked workers' indices.
//
// PROTOCOL, as numbered steps (Tokio's idle.rs is the model):
//  1. A worker that finds no local work becomes *searching*
//     (try_begin_searching), unless half the workers already search: more
//     searchers would only contend for the same victims.
//  2. A searcher that finds work stops searching (end_searching); if it was
//     the last searcher, it calls notify_one() so that stealing continues as a
//     chain while work is left.
//  3. A searcher that finds nothing registers as parked (begin_parking: under
//     the mutex it leaves `unparked`, and `searching` if it was searching, and
//     joins `sleepers_`). Then, after a seq_cst fence, it looks at every queue
//     once more (the other deques, the injection queue, its own inbox). Work
//     found: cancel_parking() and back to 1.
//  4. It sleeps in its Parker (futex; with io, inside its ring).
//  5. Whoever makes work runnable: after the push, a seq_cst fence
//     (the push's own seq_cst RMW serves), then notify_one(): if nobody is
//     searching and somebody sleeps, take one sleeper out of `sleepers_`, count
//     it as unparked and searching, and unpark it. Never more than one.
//  Step 3's re-check after its fence and step 5's check after its fence are
//  the two halves of Dekker's pattern: either the parker sees the new work, or
//  the notifier sees the parker in `state_` (then it takes the mutex and finds
//  it in `sleepers_`, because step 3 registered under the mutex before its
//  re-check). So no work is left queued while every worker sleeps.
//  6. A specific worker (the target of a pinned task) is woken with
//     unpark_worker(i): the same fence, then under the mutex: if i sleeps,
//     take it out and unpark it; if not, it will see its inbox in step 3.
//
// THREAD SAFETY: every member may be called from any thread; a worker passes
// its own index. MEMORY ORDERS are given at each operation in idle.cpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace skein::detail {

class Idle {
 public:
  // unpark(i) wakes worker i's Parker.
  Idle(std::size_t workers, std::function<void(std::size_t)> unpark);

  // Step 1.
  bool try_begin_searching() noexcept;
  // Step 2: returns true if the caller was the last searcher.
  bool end_searching() noexcept;
  // Step 3, first half. Returns true if the caller was the last searcher.
  bool begin_parking(std::size_t worker, bool was_searching);
  // Step 3, work found after registering: true if the caller was still a
  // sleeper and is now unparked again (as a searcher); false if a notifier
  // already took it out (and will unpark it): the caller must then consume
  // that wake-up by parking once, which returns at once.
  bool cancel_parking(std::size_t worker);
  // Step 5.
  void notify_one();
  // Step 6.
  void unpark_worker(std::size_t worker);
  // Shutdown: wake everybody.
  void unpark_all();

  // Cheap check used before notify_one on hot paths.
  bool should_notify() const noexcept {
    const std::uint32_t s = state_.load(std::memory_order_seq_cst);
    return searching(s) == 0 && unparked(s) < workers_;
  }
  std::size_t searching_count() const noexcept { return searching(state_.load(std::memory_order_relaxed)); }
  std::size_t sleeping_count() const noexcept { return workers_ - unparked(state_.load(std::memory_order_relaxed)); }

 private:
  void mark_awake_locked(std::size_t worker) noexcept;
  bool take_out_locked(std::size_t worker);

  static constexpr std::uint32_t kSearchingOne = 1;
  static constexpr std::uint32_t kUnparkedOne = 1u << 16;
  static std::uint32_t searching(std::uint32_t s) noexcept { return s & 0xffff; }
  static std::uint32_t unparked(std::uint32_t s) noexcept { return s >> 16; }

  const std::uint32_t workers_;
  std::function<void(std::size_t)> unpark_;
  alignas(64) std::atomic<std::uint32_t> state_;
  alignas(64) std::mutex mutex_;
  std::vector<std::size_t> sleepers_;  // guarded by mutex_
  // Written under mutex_; read without it by cancel_parking's fast path: a
  // worker that sees false was taken out by a notifier (no lock needed).
  std::unique_ptr<std::atomic<bool>[]> is_sleeping_;
};

}  // namespace skein::detail
