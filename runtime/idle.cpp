// Idle: see idle.hpp for the numbered protocol this implements.
#include "runtime/idle.hpp"

#include <algorithm>

namespace skein::detail {

Idle::Idle(std::size_t workers, std::function<void(std::size_t)> unpark)
    : workers_(static_cast<std::uint32_t>(workers)),
      unpark_(std::move(unpark)),
      state_(static_cast<std::uint32_t>(workers) * kUnparkedOne),
      is_sleeping_(std::make_unique<std::atomic<bool>[]>(workers)) {
  sleepers_.reserve(workers);
}

// Step 1. The count check is a heuristic (relaxed is enough: a stale value only
// lets one worker too many search, or one too few, briefly); the increment is
// seq_cst because notify_one's decision reads it in the Dekker pairing.
bool Idle::try_begin_searching() noexcept {
  const std::uint32_t s = state_.load(std::memory_order_relaxed);
  if (2 * searching(s) >= workers_) return false;
  state_.fetch_add(kSearchingOne, std::memory_order_seq_cst);
  return true;
}

// Step 2.
bool Idle::end_searching() noexcept {
  const std::uint32_t prev = state_.fetch_sub(kSearchingOne, std::memory_order_seq_cst);
  return searching(prev) == 1;
}

// Step 3, first half: leave the counts and join the sleepers under the mutex,
// so that a notifier that sees the new counts also finds us in the list.
bool Idle::begin_parking(std::size_t worker, bool was_searching) {
  std::lock_guard lock(mutex_);
  const std::uint32_t dec = kUnparkedOne + (was_searching ? kSearchingOne : 0);
  const std::uint32_t prev = state_.fetch_sub(dec, std::memory_order_seq_cst);
  sleepers_.push_back(worker);
  is_sleeping_[worker].store(true, std::memory_order_release);
  return was_searching && searching(prev) == 1;
}

bool Idle::cancel_parking(std::size_t worker) {
  // Fast path, the usual case after a wake-up: a notifier took us out (it
  // cleared the flag under the mutex before unparking us; acquire pairs with
  // that store). No lock, so a worker just woken does not queue behind the
  // mutex its waker may be holding to park itself.
  if (!is_sleeping_[worker].load(std::memory_order_acquire)) return false;
  std::lock_guard lock(mutex_);
  return take_out_locked(worker);  // false: a notifier took us out and unparks us
}

// Under the mutex: `worker`, already out of sleepers_, counts as unparked and
// searching again (a woken worker starts as a searcher).
void Idle::mark_awake_locked(std::size_t worker) noexcept {
  is_sleeping_[worker].store(false, std::memory_order_release);
  state_.fetch_add(kUnparkedOne + kSearchingOne, std::memory_order_seq_cst);
}

// Under the mutex: if `worker` sleeps, takes it out of sleepers_ and marks it
// awake. False if it was not sleeping.
bool Idle::take_out_locked(std::size_t worker) {
  if (!is_sleeping_[worker].load(std::memory_order_relaxed)) return false;
  sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), worker));
  mark_awake_locked(worker);
  return true;
}

// Step 5. The caller pushed work with a seq_cst RMW (or fenced) before this
// load, which completes the Dekker pattern with step 3.
void Idle::notify_one() {
  if (!should_notify()) return;
  std::size_t worker;
  {
    std::lock_guard lock(mutex_);
    const std::uint32_t s = state_.load(std::memory_order_relaxed);
    if (searching(s) != 0 || sleepers_.empty()) return;
    worker = sleepers_.back();
    sleepers_.pop_back();
    mark_awake_locked(worker);
  }
  unpark_(worker);
}

// Step 6.
void Idle::unpark_worker(std::size_t worker) {
  {
    std::lock_guard lock(mutex_);
    if (!take_out_locked(worker)) return;  // awake: it checks its inbox before parking (step 3)
  }
  unpark_(worker);
}

void Idle::unpark_all() {
  std::vector<std::size_t> woken;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t w : sleepers_) mark_awake_locked(w);
    woken.swap(sleepers_);
  }
  for (std::size_t w : woken) unpark_(w);
}

}  // namespace skein::detail
