// SignalListener: a process-wide signal handler that wakes listeners through
// their eventfds, which recv() reads in the worker's io_uring.
//
// ALGORITHM. A fixed table of 64 listener slots. The handler (any thread, at
// any moment, possibly nested) marks the signal pending in every slot that
// wants it and writes 1 to that slot's eventfd; recv() takes the lowest
// pending signal, or reads the eventfd (which sums the writes) and looks again.
//
// ASYNC-SIGNAL SAFETY. The handler touches only lock-free std::atomic words
// (x86-64 and aarch64: all of these are) and write(2), and keeps errno.
//
// WHO MAY CALL WHAT. Listeners claim and release slots on any thread; the
// sigaction bookkeeping (how many listeners want each signal, the disposition
// to restore) is under `g_install_mu`, which the handler never takes.
//
// MEMORY ORDER. Releasing a slot must not close an eventfd the handler is
// about to write (the number could already name another file). The handler
// does running.fetch_add, then loads the slot's fd; release does
// fd.exchange(-1), then waits for running == 0, then closes. All four are
// seq_cst, so in their single total order either the handler's fetch_add
// comes first (release waits for it to leave) or its fd load comes after the
// exchange (it sees -1). `pending` is fetch_or'ed before the eventfd write and
// read after the eventfd read completes; the write/read pair through the
// kernel orders them, and the RMWs are acq_rel anyway.
#include "skein/signal.hpp"

#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "io/operation.hpp"
#include "io/readiness.hpp"

namespace skein {

namespace {

constexpr int kMaxSignal = 64;
constexpr std::size_t kSlots = 64;

struct Slot {
  std::atomic<bool> claimed{false};       // by a listener; the handler ignores it
  std::atomic<std::uint64_t> wanted{0};   // bit signo-1 for each signal caught here
  std::atomic<int> fd{-1};                // eventfd, or -1
  std::atomic<std::uint64_t> pending{0};  // delivered, not yet received
  std::atomic<bool> receiving{false};     // a recv() is in progress
  std::uint64_t signals = 0;              // what the listener asked for (its owner only)
};

std::array<Slot, kSlots> g_slots;
std::atomic<int> g_handlers_running{0};

std::mutex g_install_mu;
std::array<int, kMaxSignal + 1> g_listeners{};                    // per signal, under g_install_mu
std::array<struct sigaction, kMaxSignal + 1> g_previous_action{};  // under g_install_mu

constexpr std::uint64_t bit_of(int signo) { return std::uint64_t{1} << (signo - 1); }

void on_signal(int signo) {
  const int saved_errno = errno;
  g_handlers_running.fetch_add(1, std::memory_order_seq_cst);
  const std::uint64_t bit = bit_of(signo);
  for (Slot& s : g_slots) {
    if (!(s.wanted.load(std::memory_order_seq_cst) & bit)) continue;
    const int fd = s.fd.load(std::memory_order_seq_cst);
    if (fd < 0) continue;
    s.pending.fetch_or(bit, std::memory_order_acq_rel);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);  // only fails if the count would overflow
  }
  g_handlers_running.fetch_sub(1, std::memory_order_seq_cst);
  errno = saved_errno;
}

void check_signal(int signo) {
  if (signo < 1 || signo > kMaxSignal)
    throw std::invalid_argument("skein::SignalListener: " + std::to_string(signo) + " is not a signal number (1..64)");
  switch (signo) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
      throw std::invalid_argument(std::string("skein::SignalListener: ") + ::strsignal(signo) + " (" +
                                  std::to_string(signo) + ") cannot be caught or reports a fault; it cannot be awaited");
    default:
      break;
  }
}

// Under g_install_mu.
void add_interest(int signo) {
  if (g_listeners[static_cast<std::size_t>(signo)]++ > 0) return;
  struct sigaction sa {};
  sa.sa_handler = &on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(signo, &sa, &g_previous_action[static_cast<std::size_t>(signo)]) != 0) {
    const int e = errno;
    --g_listeners[static_cast<std::size_t>(signo)];
    throw std::system_error(e, std::system_category(),
                            "skein::SignalListener: sigaction(" + std::to_string(signo) + ")");
  }
}

// Under g_install_mu. The last listener puts the previous disposition back.
void drop_interest(int signo) noexcept {
  if (--g_listeners[static_cast<std::size_t>(signo)] > 0) return;
  ::sigaction(signo, &g_previous_action[static_cast<std::size_t>(signo)], nullptr);
}

int take_lowest(std::atomic<std::uint64_t>& pending) noexcept {
  std::uint64_t p = pending.load(std::memory_order_acquire);
  while (p) {
    const std::uint64_t lowest = p & (~p + 1);
    if (pending.compare_exchange_weak(p, p & ~lowest, std::memory_order_acq_rel)) return std::countr_zero(lowest) + 1;
  }
  return 0;
}

}  // namespace

SignalListener::SignalListener(std::initializer_list<int> signals) {
  if (signals.size() == 0) throw std::invalid_argument("skein::SignalListener: no signal given");
  std::uint64_t bits = 0;
  for (int s : signals) {
    check_signal(s);
    bits |= bit_of(s);
  }
  std::size_t i = 0;
  for (; i < kSlots; ++i) {
    bool expected = false;
    if (g_slots[i].claimed.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) break;
  }
  if (i == kSlots)
    throw std::length_error("skein::SignalListener: " + std::to_string(kSlots) + " listeners exist already");
  Slot& slot = g_slots[i];
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    slot.claimed.store(false, std::memory_order_release);
    throw std::system_error(e, std::system_category(), "skein::SignalListener: eventfd");
  }
  slot.pending.store(0, std::memory_order_relaxed);
  slot.fd.store(fd, std::memory_order_seq_cst);
  slot.signals = bits;
  slot_ = static_cast<int>(i);
  std::lock_guard lock(g_install_mu);
  for (int s = 1; s <= kMaxSignal; ++s) {
    if (!(bits & bit_of(s))) continue;
    try {
      add_interest(s);
    } catch (...) {
      for (int u = 1; u < s; ++u)
        if (bits & bit_of(u)) drop_interest(u);
      slot.signals = 0;
      ::close(slot.fd.exchange(-1, std::memory_order_seq_cst));
      slot.claimed.store(false, std::memory_order_release);
      slot_ = -1;
      throw;
    }
  }
  // Caught from here on: the handler is in place before the slot asks for it.
  slot.wanted.store(bits, std::memory_order_seq_cst);
}

SignalListener& SignalListener::operator=(SignalListener&& o) noexcept {
  if (this != &o) {
    release();
    slot_ = std::exchange(o.slot_, -1);
  }
  return *this;
}

SignalListener::~SignalListener() { release(); }

void SignalListener::release() noexcept {
  if (slot_ < 0) return;
  Slot& slot = g_slots[static_cast<std::size_t>(slot_)];
  slot_ = -1;
  slot.wanted.store(0, std::memory_order_seq_cst);
  const int fd = slot.fd.exchange(-1, std::memory_order_seq_cst);
  while (g_handlers_running.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  ::close(fd);
  {
    std::lock_guard lock(g_install_mu);
    for (int s = 1; s <= kMaxSignal; ++s)
      if (slot.signals & bit_of(s)) drop_interest(s);
  }
  slot.signals = 0;
  slot.claimed.store(false, std::memory_order_release);
}

Task<int> SignalListener::recv() {
  if (slot_ < 0) throw std::logic_error("skein::SignalListener::recv on a moved-from listener");
  Slot& slot = g_slots[static_cast<std::size_t>(slot_)];
  if (slot.receiving.exchange(true, std::memory_order_acq_rel))
    throw std::logic_error("skein::SignalListener::recv: another recv() on this listener is in progress");
  struct Receiving {
    Slot& slot;
    ~Receiving() { slot.receiving.store(false, std::memory_order_release); }
  } receiving{slot};
  const int fd = slot.fd.load(std::memory_order_relaxed);  // ours while the listener lives
  for (;;) {
    if (const int signo = take_lowest(slot.pending)) co_return signo;
    std::uint64_t count = 0;
    int r;
    if (io::readiness_mode()) {  // no ring: wait for the eventfd, then read it (it will not block)
      r = co_await io::readable(fd);
      if (r == 0 && ::read(fd, &count, sizeof count) < 0) r = -errno;
    } else {
      r = co_await io::submit("SignalListener::recv", [fd, &count](io_uring_sqe* sqe) {
        io_uring_prep_read(sqe, fd, &count, sizeof count, 0);
      });
    }
    if (r < 0 && r != -EINTR && r != -EAGAIN)
      throw std::system_error(-r, std::system_category(), "skein::SignalListener::recv: reading its eventfd");
  }
}

Task<void> ctrl_c() {
  SignalListener interrupt(SIGINT);
  co_await interrupt.recv();
}

}  // namespace skein
