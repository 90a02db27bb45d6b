// Exceptions skein throws for conditions a caller may want to catch by type.
// Misuse (awaiting an empty task, block_on from a worker, ...) throws
// std::logic_error with a message instead.
#pragma once

#include <stdexcept>
#include <string>

namespace skein {

// A task was cancelled (JoinHandle::cancel, a CancellationToken, when_any).
// Thrown at the task's next suspension point, and by awaiting its handle.
class operation_canceled : public std::runtime_error {
 public:
  operation_canceled() : std::runtime_error("skein: operation canceled") {}
  explicit operation_canceled(const std::string& what) : std::runtime_error(what) {}
};

// The runtime was shut down: spawning after shutdown, or awaiting a task that
// the shutdown destroyed before it finished.
class runtime_shutdown : public std::runtime_error {
 public:
  explicit runtime_shutdown(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace skein
