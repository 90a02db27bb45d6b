// The run loop of one worker thread. worker.hpp says where a worker looks for
// work and in which order; idle.hpp says how it parks.
#include "runtime/worker.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "runtime/scheduler.hpp"
#include "skein/detail/context.hpp"

namespace skein::detail {

namespace {
constexpr int kMaxLifoStreak = 3;
constexpr std::size_t kInjectionBatch = 32;
constexpr int kSearchRounds = 2;
}  // namespace

Worker::Worker(Scheduler& s, std::size_t index)
    : sched_(s),
      index_(index),
      queue_(s.options().local_queue_capacity),
      yielded_(s.options().local_queue_capacity),
      producer_(s.injection().make_producer_token()),
      consumer_(s.injection().make_consumer_token()),
      rng_(0x9E3779B97F4A7C15ull * (index + 1)) {
}

std::size_t Worker::random_index(std::size_t n) noexcept {
  // xorshift64*: only spreads thieves over victims, no quality needed.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return static_cast<std::size_t>((rng_ * 0x2545F4914F6CDD1Dull) >> 32) % n;
}

void Worker::init_on_thread() { parker_ = make_worker_parker(index_); }

void Worker::run() {
  ThreadContext& ctx = tls_context;
  ctx.worker = this;
  ctx.scheduler = &sched_;
  ctx.worker_index = static_cast<int>(index_);
  ctx.current = nullptr;

  while (!sched_.stopping()) {
    TaskHeader* t = next_task();
    if (!t) t = search();
    if (t) {
      if (searching_) found_work_while_searching();
      run_task(t);
      continue;
    }
    park();
  }
  if (searching_) {
    searching_ = false;
    sched_.idle().end_searching();
  }
  ctx = ThreadContext{};
}

void Worker::run_task(TaskHeader* t) {
  counters_.polls.add();
  ThreadContext& ctx = tls_context;
  ctx.current = t;
  ctx.budget = sched_.options().budget;
  // After resume() returns the task may already run on another worker (or be
  // gone): `t` is not touched again.
  t->resume_point.resume();
  ctx.current = nullptr;
}

TaskHeader* Worker::next_task() {
  if (--ticks_to_maintenance_ == 0) {
    ticks_to_maintenance_ = static_cast<std::uint32_t>(sched_.options().global_queue_interval);
    if (TaskHeader* t = on_tick()) return t;
  }
  if (lifo_) {
    // Past the bound the slot's task still runs next when the deque is empty:
    // then there is nobody here for it to starve.
    if (lifo_streak_ < kMaxLifoStreak || queue_.empty()) {
      ++lifo_streak_;
      counters_.lifo_polls.add();
      return std::exchange(lifo_, nullptr);
    }
    // The slot has had its turns: its task goes where thieves can see it.
    push_to_deque(std::exchange(lifo_, nullptr));
  }
  lifo_streak_ = 0;
  if (!io_ready_.empty()) return take_io_ready();
  if (TaskHeader* t = queue_.pop()) return t;
  if (TaskHeader* t = take_pinned()) return t;
  if (TaskHeader* t = take_yielded()) return t;
  return take_from_injection();
}

// Every global_queue_interval polls: fairness for the queues a busy deque
// would otherwise starve, and I/O completions.
TaskHeader* Worker::on_tick() {
  release_io_backlog();
  parker_->poll_events();
  // A local push does not fence before deciding whether to wake a sleeper
  // (see schedule_local); this bounds how long a missed wake-up can last.
  if (!queue_.empty() && sched_.idle().should_notify()) sched_.idle().notify_one();
  lifo_streak_ = 0;
  if (TaskHeader* t = take_pinned()) return t;
  if (TaskHeader* t = take_from_injection()) return t;
  return take_yielded();
}

TaskHeader* Worker::take_io_ready() {
  TaskHeader* t = io_ready_.front();
  io_ready_.pop_front();
  if (io_ready_.empty()) io_ready_drained_ = true;
  return t;
}

// At a tick: if the I/O-ready list was non-empty at the last tick and never
// emptied since, this worker is behind; the newer half of the list becomes
// stealable. Pushed newest first, so that this worker, which pops its deque
// newest-pushed first, still runs them oldest first after the rest of the
// list, while thieves take the newest.
void Worker::release_io_backlog() {
  if (io_ready_backlog_ && !io_ready_drained_ && io_ready_.size() > 1 && sched_.worker_count() > 1) {
    for (std::size_t n = io_ready_.size() / 2; n > 0; --n) {
      push_to_deque(io_ready_.back());
      io_ready_.pop_back();
    }
    if (sched_.idle().should_notify()) sched_.idle().notify_one();
  }
  io_ready_backlog_ = !io_ready_.empty();
  io_ready_drained_ = false;
}

// The oldest yielded task: this queue is FIFO (the owner takes from the top,
// like a thief), so a yield goes to the back of the line.
TaskHeader* Worker::take_yielded() {
  TaskHeader* t = nullptr;
  while (!yielded_.empty()) {
    if (yielded_.steal(t) == LocalQueue::StealResult::kTaken) return t;
  }
  return nullptr;
}

// The oldest runnable task pinned here: what this worker scheduled itself,
// then what other threads left in the inbox (moved over first, in order).
TaskHeader* Worker::take_pinned() {
  if (inbox_size_.load(std::memory_order_acquire) != 0) {
    std::vector<TaskHeader*> batch;
    {
      std::lock_guard lock(inbox_mutex_);
      batch.swap(inbox_);
      inbox_size_.store(0, std::memory_order_relaxed);
    }
    pinned_.insert(pinned_.end(), batch.begin(), batch.end());
  }
  if (pinned_.empty()) return nullptr;
  TaskHeader* t = pinned_.front();
  pinned_.pop_front();
  return t;
}

// Takes a batch: one to run, the rest into the deque (where thieves can
// spread them further).
TaskHeader* Worker::take_from_injection() {
  TaskHeader* batch[kInjectionBatch];
  const std::size_t room = (queue_.capacity() - queue_.size()) / 2;
  const std::size_t want = std::max<std::size_t>(1, std::min(kInjectionBatch, room));
  const std::size_t n = sched_.injection().pop_bulk(consumer_, batch, want);
  if (n == 0) return nullptr;
  counters_.injection_polls.add(n);
  for (std::size_t i = 1; i < n; ++i) push_to_deque(batch[i]);
  return batch[0];
}

TaskHeader* Worker::search() {
  Idle& idle = sched_.idle();
  if (!searching_) {
    if (!idle.try_begin_searching()) return nullptr;
    searching_ = true;
  }
  const std::size_t n = sched_.worker_count();
  for (int round = 0; round < kSearchRounds; ++round) {
    const std::size_t start = random_index(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t victim = (start + i) % n;
      if (victim == index_) continue;
      counters_.steal_attempts.add();
      // Steal at most half of our own free room, so the pushes cannot fail.
      const std::size_t room = (queue_.capacity() - queue_.size()) / 2;
      Worker& v = sched_.worker(victim);
      TaskHeader* t = v.queue().steal_into(queue_, room);
      if (!t) t = v.yielded_.steal_into(queue_, room);
      if (t) {
        counters_.stolen.add(1 + queue_.size());
        return t;
      }
    }
    if (TaskHeader* t = take_from_injection()) return t;
    if (TaskHeader* t = take_pinned()) return t;
    if (parker_->poll_events()) {
      if (TaskHeader* t = next_task()) return t;
    }
  }
  return nullptr;
}

// Idle protocol step 2.
void Worker::found_work_while_searching() {
  searching_ = false;
  if (sched_.idle().end_searching() && (!queue_.empty() || !yielded_.empty() || sched_.injection().has_work()))
    sched_.idle().notify_one();
}

bool Worker::any_work_visible() const {
  if (sched_.injection().has_work() || inbox_has_work() || !pinned_.empty() || lifo_ || !io_ready_.empty())
    return true;
  for (std::size_t i = 0; i < sched_.worker_count(); ++i)
    if (!sched_.worker(i).queue().empty() || !sched_.worker(i).yielded_.empty()) return true;
  return false;
}

// Idle protocol steps 3 and 4.
void Worker::park() {
  Idle& idle = sched_.idle();
  const bool was_searching = std::exchange(searching_, false);
  idle.begin_parking(index_, was_searching);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (any_work_visible() || sched_.stopping()) {
    if (!idle.cancel_parking(index_)) parker_->park();  // consume the wake-up already sent to us
    searching_ = true;                                   // either way we now count as a searcher
    return;
  }
  counters_.parks.add();
  parker_->park();
  // park() also returns when an I/O completion made a task runnable here,
  // with nobody unparking us: leave the sleepers ourselves. If a notifier
  // already took us out, it counted us as unparked and searching (and its
  // wake-up, if not consumed yet, makes one later park() return at once).
  idle.cancel_parking(index_);
  searching_ = true;
}

void Worker::push_to_deque(TaskHeader* t) {
  if (queue_.push(t)) [[likely]]
    return;
  push_to_full_deque(t);
}

void Worker::push_to_full_deque(TaskHeader* t) {
  // Full: move the older half to the injection queue, where other workers
  // find it, then push.
  counters_.overflows.add();
  spill_.reserve(queue_.capacity() / 2);
  queue_.spill_half(spill_);
  sched_.injection().push_bulk(producer_, spill_.begin(), spill_.size());
  sched_.idle().notify_one();
  if (!queue_.push(t)) {  // thieves emptied nothing and we spilled nothing: cannot happen
    sched_.injection().push(producer_, t);
  }
}

void Worker::schedule_local(TaskHeader* t) {
  if (tls_context.waking_from_io) {  // woken by our own ring: stays here
    io_ready_.push_back(t);
    return;
  }
  TaskHeader* prev = std::exchange(lifo_, t);
  if (!prev) return;  // the LIFO slot is not stealable: nothing for a thief yet
  push_to_deque(prev);
  // No fence before this check: the task is in our own deque, which we drain
  // ourselves, so a stale "nobody sleeps" costs parallelism for at most one
  // tick (on_tick re-checks with a fence), never a lost task. A fence here
  // would cost every spawn.
  if (sched_.idle().should_notify()) sched_.idle().notify_one();
}

void Worker::schedule_pinned(TaskHeader* t) { pinned_.push_back(t); }

void Worker::schedule_yield(TaskHeader* t) {
  counters_.yields.add();
  if (t->pinned_worker >= 0) {
    pinned_.push_back(t);
    return;
  }
  if (!yielded_.push(t)) {  // full: the back of the global line instead
    sched_.injection().push(producer_, t);
    sched_.idle().notify_one();
    return;
  }
  // As in schedule_local: our own queue, no fence needed for liveness.
  if (sched_.idle().should_notify()) sched_.idle().notify_one();
}

void Worker::push_inbox(TaskHeader* t) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(t);
    inbox_size_.fetch_add(1, std::memory_order_seq_cst);
  }
  // Idle protocol step 6: wakes us if we sleep; if we are about to, our
  // re-check after registering (step 3) sees the inbox.
  sched_.idle().unpark_worker(index_);
}

void Worker::fill_stats(WorkerStats& out) const {
  out.polls = counters_.polls.get();
  out.spawned = counters_.spawned.get();
  out.completed = counters_.completed.get();
  out.lifo_polls = counters_.lifo_polls.get();
  out.stolen = counters_.stolen.get();
  out.steal_attempts = counters_.steal_attempts.get();
  out.injection_polls = counters_.injection_polls.get();
  out.overflows = counters_.overflows.get();
  out.yields = counters_.yields.get();
  out.parks = counters_.parks.get();
  out.local_queue_depth = queue_.size() + yielded_.size();  // io_ready_ is owner-only: not read here
  out.pending_timers = parker_->pending_timers();
}

}  // namespace skein::detail
