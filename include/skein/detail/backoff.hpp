// Backoff: how a thread waits for another to finish a short step (release a
// spin lock, publish a ring slot): 1, 2, 4 ... `max_pauses` CPU pause
// instructions between attempts, then yielding the CPU on every attempt,
// since the other thread may have been preempted. Owner-only, no shared state.
#pragma once

#include <thread>

namespace skein::detail {

inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Backoff {
 public:
  explicit Backoff(unsigned max_pauses) noexcept : max_pauses_(max_pauses) {}

  // Call between two failed attempts.
  void wait() noexcept {
    if (pauses_ < max_pauses_) {
      for (unsigned i = 0; i < pauses_; ++i) cpu_pause();
      pauses_ *= 2;
    } else {
      std::this_thread::yield();
    }
  }

 private:
  unsigned pauses_ = 1;
  const unsigned max_pauses_;
};

}  // namespace skein::detail
