// ExternalWaiter: a thread outside the runtime blocked until a task finishes
// (JoinHandle::wait, and so Runtime::block_on).
//
// It lives on the waiting thread's stack; its address, tagged with
// kExternalWaiter, is CAS'd into the task's join_state. The finisher wakes it
// under its mutex: the waiter cannot return (and destroy the object) before
// the finisher has unlocked, and the finisher touches nothing after that.
#pragma once

#include <condition_variable>
#include <mutex>

namespace skein::detail {

struct alignas(8) ExternalWaiter {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;

  void wake() {
    std::lock_guard lock(mutex);
    done = true;
    cv.notify_one();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
  }
};

}  // namespace skein::detail
