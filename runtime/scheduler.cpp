// Scheduler: starting workers, routing scheduled tasks, shutdown.
#include "runtime/scheduler.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>

#include "skein/detail/cancel_hook.hpp"
#include "skein/detail/context.hpp"
#include "skein/detail/external_waiter.hpp"

namespace skein::detail {

namespace {

Options normalized(Options o) {
  if (o.workers == 0) o.workers = available_cpus();
  if (o.workers > 0x7fff) throw std::invalid_argument("skein::Options::workers: at most 32767 workers");
  if (o.local_queue_capacity < 4) o.local_queue_capacity = 4;
  if (o.budget < 1) throw std::invalid_argument("skein::Options::budget must be at least 1");
  if (o.global_queue_interval < 1) throw std::invalid_argument("skein::Options::global_queue_interval must be at least 1");
  if (o.max_blocking_threads < 1) throw std::invalid_argument("skein::Options::max_blocking_threads must be at least 1");
  return o;
}

void pin_to_cpu(std::size_t worker) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  if (cpus.empty()) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[worker % cpus.size()], &one);
  pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

}  // namespace

Scheduler::Scheduler(const Options& options)
    : options_(normalized(options)),
      idle_(options_.workers, [this](std::size_t i) { workers_[i]->parker()->unpark(); }),
      blocking_(options_.max_blocking_threads, options_.blocking_keep_alive) {
  workers_.reserve(options_.workers);
  for (std::size_t i = 0; i < options_.workers; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
  start_workers();
  const char* env = std::getenv("SKEIN_STATS");
  if (options_.stats_socket || (env && std::strcmp(env, "1") == 0)) {
    try {
      stats_server_ = std::make_unique<StatsServer>([this] { return stats(); });
    } catch (...) {
      shutdown();  // do not leave the workers running behind a failed constructor
      throw;
    }
  }
}

Scheduler::~Scheduler() { shutdown(); }

void Scheduler::start_workers() {
  // Every parker exists before anyone may unpark it: wait for all threads.
  std::latch started(static_cast<std::ptrdiff_t>(workers_.size()));
  threads_.reserve(workers_.size());
  for (auto& w : workers_) {
    threads_.emplace_back([this, &started, worker = w.get()] {
      const std::string name = options_.thread_name_prefix + std::to_string(worker->index());
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      if (options_.pin_workers) pin_to_cpu(worker->index());
      worker->init_on_thread();
      started.count_down();
      worker->run();
    });
  }
  started.wait();
}

// From worker `w`'s own thread.
inline void Scheduler::schedule_from(Worker& w, TaskHeader* t) {
  if (t->pinned_worker < 0)
    w.schedule_local(t);
  else if (static_cast<std::size_t>(t->pinned_worker) == w.index())
    w.schedule_pinned(t);
  else
    schedule_pinned_remote(t);
}

void Scheduler::submit_spawned(TaskHeader* t) {
  t->scheduler = this;
  ThreadContext& ctx = tls_context;
  if (ctx.scheduler == this) {
    Worker& w = *ctx.worker;
    if (stopping()) throw runtime_shutdown("skein::spawn: the runtime is shutting down");
    t->id = w.next_task_id();
    w.counters().spawned.add();
    t->registry_slot = w.registry().allocate(t);
    schedule_from(w, t);  // we are on a worker already: no second look at the thread
    return;
  }
  {
    // The stopping check and the registration are atomic with respect to
    // shutdown(), which sets stopping under the same mutex.
    std::lock_guard lock(external_mutex_);
    if (stopping_.load(std::memory_order_relaxed))
      throw runtime_shutdown("skein::Runtime::spawn: the runtime is shut down");
    t->id = external_ids_.fetch_add(1, std::memory_order_relaxed) + 1;
    t->registry_slot = external_registry_.allocate(t);
  }
  schedule(t);
}

void Scheduler::schedule(TaskHeader* t) {
  ThreadContext& ctx = tls_context;
  if (ctx.scheduler == this) {
    schedule_from(*ctx.worker, t);
    return;
  }
  if (t->pinned_worker >= 0) {
    schedule_pinned_remote(t);
    return;
  }
  injection_.push(t);  // its seq_cst RMW is idle step 5's fence
  idle_.notify_one();
}

void Scheduler::schedule_yield(TaskHeader* t) {
  ThreadContext& ctx = tls_context;
  if (ctx.scheduler == this) {
    ctx.worker->schedule_yield(t);
    return;
  }
  schedule(t);
}

void Scheduler::schedule_pinned_remote(TaskHeader* t) {
  workers_[static_cast<std::size_t>(t->pinned_worker)]->push_inbox(t);
}

ShutdownReport Scheduler::shutdown() {
  if (tls_context.scheduler == this)
    throw std::logic_error("skein::Runtime::shutdown called from one of its own workers (it would join itself)");
  std::lock_guard guard(shutdown_mutex_);
  if (shut_down_) return {};
  shut_down_ = true;
  stats_server_.reset();
  {
    std::lock_guard lock(external_mutex_);
    stopping_.store(true, std::memory_order_seq_cst);
  }
  // Wake everybody: sleepers through the idle protocol, and a pending wake-up
  // for anyone between its stop check and its park.
  idle_.unpark_all();
  for (auto& w : workers_) w->parker()->unpark();
  // The workers exit before any frame is destroyed: a thread's exit makes the
  // kernel cancel the io_uring requests it issued, so frames suspended in I/O
  // can then be destroyed without touching a ring (io/ relies on this order).
  for (auto& t : threads_) t.join();
  threads_.clear();
  ShutdownReport report;
  report.unstarted_blocking_jobs = blocking_.shutdown();
  report.unfinished_tasks = destroy_unfinished_tasks();
  return report;
}

// Single-threaded from here: every worker is joined. Every spawned task that
// has not finished still has its registry slot; its frame is destroyed (its
// locals' destructors run; nested frames through the trampoline, without
// recursion), its result becomes a runtime_shutdown error, and it is
// published as done (which frees it if its handle is gone, and wakes a
// thread blocked in JoinHandle::wait).
std::size_t Scheduler::destroy_unfinished_tasks() {
  std::vector<TaskHeader*> unfinished;
  auto collect = [&](TaskHeader* t) { unfinished.push_back(t); };
  for (auto& w : workers_) w->registry().for_each_live(collect);
  {
    std::lock_guard lock(external_mutex_);
    external_registry_.for_each_live(collect);
  }
  // Frames first, all of them: a frame's destructors may drop handles of
  // other unfinished tasks, which must not be freed under us.
  for (TaskHeader* t : unfinished)
    if (t->frame) destroy_frame(std::exchange(t->frame, {}));
  for (TaskHeader* t : unfinished) {
    t->abort_result(t);
    publish_done(t);  // a joiner, if any, was destroyed above: nothing to resume
  }
  return unfinished.size();
}

RuntimeStats Scheduler::stats() const {
  RuntimeStats s;
  s.workers.resize(workers_.size());
  std::uint64_t spawned = 0, completed = 0;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->fill_stats(s.workers[i]);
    spawned += s.workers[i].spawned;
    completed += s.workers[i].completed;
  }
  spawned += external_ids_.load(std::memory_order_relaxed);
  s.live_tasks = spawned > completed ? spawned - completed : 0;
  s.injection_queue_depth = injection_.size();
  s.searching_workers = idle_.searching_count();
  s.sleeping_workers = idle_.sleeping_count();
  s.blocking_threads = blocking_.thread_count();
  s.blocking_idle_threads = blocking_.idle_count();
  return s;
}

TaskHeader* publish_done(TaskHeader* t) noexcept {
  if (t->registry_slot) TaskRegistry::clear(t->registry_slot);
  // An exchange, not fetch_or: whatever else was in the word is dealt with
  // below, and nobody reads the other bits after kDone (x86: one xchg, where
  // fetch_or would be a cmpxchg loop).
  const std::uintptr_t prev = t->join_state.exchange(kDone, std::memory_order_acq_rel);
  // From here on the state belongs to the handle (or to nobody: free it).
  if (prev & kDetached) {
    t->destroy_state(t);
    return nullptr;
  }
  if (prev & kExternalWaiter) {
    reinterpret_cast<ExternalWaiter*>(prev & ~kJoinFlags)->wake();
    return nullptr;
  }
  return reinterpret_cast<TaskHeader*>(prev & ~kJoinFlags);
}

// ---- the functions declared in skein/detail/context.hpp ----

void schedule(TaskHeader* t) { t->scheduler->schedule(t); }
void schedule_yield(TaskHeader* t) { t->scheduler->schedule_yield(t); }
void submit_spawned(Scheduler& s, TaskHeader* t) { s.submit_spawned(t); }
void submit_blocking(Scheduler& s, TaskHeader* t) {
  t->scheduler = &s;
  s.blocking().submit(t);
}
std::size_t worker_count(const Scheduler& s) noexcept { return s.worker_count(); }

void throw_no_runtime(const char* what) {
  throw std::logic_error(std::string("skein::") + what +
                         ": no runtime on this thread (call it inside a task, or use the Runtime's member function)");
}

std::coroutine_handle<> complete_spawned(TaskHeader* t) noexcept {
  ThreadContext& ctx = tls_context;
  if (ctx.worker) ctx.worker->counters().completed.add();
  TaskHeader* joiner = publish_done(t);
  if (!joiner) return std::noop_coroutine();
  // The joiner runs next on this thread (symmetric transfer), unless it is
  // pinned elsewhere or belongs to another runtime.
  if (ctx.scheduler == joiner->scheduler &&
      (joiner->pinned_worker < 0 || joiner->pinned_worker == ctx.worker_index)) {
    ctx.current = joiner;
    return joiner->resume_point;
  }
  joiner->scheduler->schedule(joiner);
  return std::noop_coroutine();
}

namespace {
// Step 2 of the cancel-hook protocol (cancel_hook.hpp), after the flag is set.
void run_cancel_hook(TaskHeader* t) noexcept {
  if (CancelHook* hook = t->cancel_hook.exchange(nullptr, std::memory_order_acq_rel)) {
    hook->fn(hook);
    hook->finished.store(true, std::memory_order_release);
  }
}
}  // namespace

void request_cancel(TaskHeader* t) noexcept {
  if (t->is_done()) return;
  t->flags.fetch_or(kCancelRequested, std::memory_order_seq_cst);
  run_cancel_hook(t);
}

void request_deadline_stop(TaskHeader* t) noexcept {
  t->flags.fetch_add(kDeadlineUnit, std::memory_order_seq_cst);
  run_cancel_hook(t);
}

}  // namespace skein::detail
