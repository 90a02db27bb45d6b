// Unix signals as awaits: graceful shutdown on SIGINT/SIGTERM, reload on SIGHUP.
//
//   skein::SignalListener stop({SIGINT, SIGTERM});   // from here on, these are caught
//   int signo = co_await stop.recv();                 // the next one delivered
//
//   co_await skein::ctrl_c();                         // the next SIGINT
//
// A listener catches its signals from the moment it is constructed until it
// is destroyed: while any listener for a signal exists, that signal no longer
// has its previous disposition (terminate, ignore, or a handler of yours);
// when the last one goes, the previous disposition is put back. Every
// listener for a signal sees each delivery. Deliveries of the same signal
// between two recv() calls are coalesced (a burst of three SIGINTs may be one
// recv), as the kernel itself coalesces standard signals.
//
// recv() waits in the worker's io_uring (it needs a skein worker with
// io_uring) and is cancellable (JoinHandle::cancel, with_timeout). One recv()
// at a time per listener; a second concurrent one is std::logic_error. The
// listener must outlive (and not move during) a recv() in progress.
// Signals that report faults or cannot be caught (SIGKILL, SIGSTOP, SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) and numbers outside 1..64 are
// std::invalid_argument; at most 64 listeners exist at once
// (std::length_error beyond).
//
// THREAD SAFETY: construct and destroy listeners on any thread; recv() from a
// task. The signal handler itself only touches lock-free atomics and write(2)
// (io/signal.cpp).
#pragma once

#include <initializer_list>

#include "skein/task.hpp"

namespace skein {

class SignalListener {
 public:
  explicit SignalListener(std::initializer_list<int> signals);
  explicit SignalListener(int signo) : SignalListener({signo}) {}
  SignalListener(SignalListener&& o) noexcept : slot_(o.slot_) { o.slot_ = -1; }
  SignalListener& operator=(SignalListener&& o) noexcept;
  SignalListener(const SignalListener&) = delete;
  SignalListener& operator=(const SignalListener&) = delete;
  ~SignalListener();

  // co_await: the number of the next of this listener's signals delivered
  // since it was constructed (or since the previous recv); lowest number
  // first when several are pending.
  Task<int> recv();

 private:
  void release() noexcept;
  int slot_ = -1;
};

// co_await: returns at the next SIGINT (Ctrl-C) delivered after the call.
Task<void> ctrl_c();

}  // namespace skein
