// Scheduler statistics: a relaxed snapshot of per-worker counters.
#pragma once

#include <cstdint>
#include <vector>

namespace skein {

struct WorkerStats {
  std::uint64_t polls = 0;            // task resumptions
  std::uint64_t spawned = 0;          // tasks spawned from this worker
  std::uint64_t completed = 0;        // spawned tasks that finished here
  std::uint64_t lifo_polls = 0;       // polls taken from the LIFO slot
  std::uint64_t stolen = 0;           // tasks this worker stole from others
  std::uint64_t steal_attempts = 0;   // victims tried
  std::uint64_t injection_polls = 0;  // tasks taken from the injection queue
  std::uint64_t overflows = 0;        // times the local queue spilled half to the injection queue
  std::uint64_t yields = 0;           // yields and budget exhaustions
  std::uint64_t parks = 0;            // times the worker went to sleep
  std::uint64_t local_queue_depth = 0;
  std::uint64_t pending_timers = 0;   // sleeps and with_timeout deadlines queued on this worker
};

struct RuntimeStats {
  std::vector<WorkerStats> workers;
  std::uint64_t injection_queue_depth = 0;
  std::uint64_t blocking_threads = 0;       // threads in the blocking pool now
  std::uint64_t blocking_idle_threads = 0;  // of those, waiting for a job
  std::uint64_t live_tasks = 0;             // spawned tasks not yet finished (approximate)
  std::uint64_t searching_workers = 0;      // workers looking for work to steal
  std::uint64_t sleeping_workers = 0;       // workers parked

  WorkerStats total() const {
    WorkerStats t;
    for (const auto& w : workers) {
      t.polls += w.polls;
      t.spawned += w.spawned;
      t.completed += w.completed;
      t.lifo_polls += w.lifo_polls;
      t.stolen += w.stolen;
      t.steal_attempts += w.steal_attempts;
      t.injection_polls += w.injection_polls;
      t.overflows += w.overflows;
      t.yields += w.yields;
      t.parks += w.parks;
      t.local_queue_depth += w.local_queue_depth;
      t.pending_timers += w.pending_timers;
    }
    return t;
  }
};

}  // namespace skein
