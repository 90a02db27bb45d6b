// SignalListener: delivery to every listener, several signals per listener,
// coalescing, cancellation, the disposition put back, misuse, and a storm of
// signals while listeners come and go.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "io_test_util.hpp"
#include "skein/join_handle.hpp"
#include "skein/signal.hpp"
#include "skein/spawn.hpp"
#include "tests/stress_scale.hpp"

using namespace std::chrono_literals;
using skein::SignalListener;
using skein::Task;

namespace {

// recv() bounded in time: nullopt if nothing came within `limit`.
Task<std::optional<int>> recv_within(SignalListener& l, std::chrono::milliseconds limit) {
  try {
    co_return co_await skein::with_timeout(limit, l.recv());
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::timed_out) throw;
  }
  co_return std::nullopt;
}

void (*current_handler(int signo))(int) {
  struct sigaction now {};
  ::sigaction(signo, nullptr, &now);
  return now.sa_handler;
}

}  // namespace

TEST(Signal, ARaisedSignalReachesTheListener) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener usr1(SIGUSR1);
  ::raise(SIGUSR1);  // before recv: kept pending, not lost
  EXPECT_EQ(rt.block_on(recv_within(usr1, 5000ms)), std::optional<int>(SIGUSR1));
  // And one that arrives while the task waits in the ring.
  auto h = rt.spawn(recv_within(usr1, 5000ms));
  std::this_thread::sleep_for(20ms);
  ::kill(::getpid(), SIGUSR1);
  EXPECT_EQ(h.wait(), std::optional<int>(SIGUSR1));
}

TEST(Signal, EveryListenerSeesEachDelivery) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener a(SIGUSR1), b(SIGUSR1);
  ::raise(SIGUSR1);
  EXPECT_EQ(rt.block_on(recv_within(a, 5000ms)), std::optional<int>(SIGUSR1));
  EXPECT_EQ(rt.block_on(recv_within(b, 5000ms)), std::optional<int>(SIGUSR1));
}

TEST(Signal, AListenerForSeveralSignalsReportsEachOnce) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener both({SIGUSR1, SIGUSR2});
  ::raise(SIGUSR2);
  ::raise(SIGUSR1);
  std::set<int> got;
  for (int i = 0; i < 2; ++i)
    if (auto s = rt.block_on(recv_within(both, 5000ms))) got.insert(*s);
  EXPECT_EQ(got, (std::set<int>{SIGUSR1, SIGUSR2}));
  EXPECT_EQ(rt.block_on(recv_within(both, 30ms)), std::nullopt) << "a delivery was reported twice";
}

// Three deliveries before a recv are one recv (as the kernel coalesces
// standard signals), and nothing is left over to wake a later recv.
TEST(Signal, DeliveriesBetweenReceivesAreCoalesced) {
  skein::Runtime rt(skein::Options{.workers = 1});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener usr1(SIGUSR1);
  for (int i = 0; i < 3; ++i) ::raise(SIGUSR1);
  EXPECT_EQ(rt.block_on(recv_within(usr1, 5000ms)), std::optional<int>(SIGUSR1));
  EXPECT_EQ(rt.block_on(recv_within(usr1, 30ms)), std::nullopt);
}

TEST(Signal, ACancelledReceiveLeavesTheListenerUsable) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener usr1(SIGUSR1);
  auto waiting = rt.spawn(usr1.recv());
  std::this_thread::sleep_for(20ms);
  waiting.cancel();
  EXPECT_THROW(waiting.wait(), skein::operation_canceled);
  ::raise(SIGUSR1);
  EXPECT_EQ(rt.block_on(recv_within(usr1, 5000ms)), std::optional<int>(SIGUSR1));
}

// While a listener exists the signal is caught; when the last one goes, the
// disposition from before is back (the default, or the user's own).
TEST(Signal, ThePreviousDispositionComesBackWithTheLastListener) {
  ASSERT_EQ(current_handler(SIGUSR1), SIG_DFL);
  {
    SignalListener a(SIGUSR1);
    EXPECT_NE(current_handler(SIGUSR1), SIG_DFL);
    {
      SignalListener b(SIGUSR1);
      EXPECT_NE(current_handler(SIGUSR1), SIG_DFL);
    }
    EXPECT_NE(current_handler(SIGUSR1), SIG_DFL) << "one listener is left";
  }
  EXPECT_EQ(current_handler(SIGUSR1), SIG_DFL);
  ::signal(SIGUSR2, SIG_IGN);
  { SignalListener c(SIGUSR2); }
  EXPECT_EQ(current_handler(SIGUSR2), SIG_IGN);
  ::signal(SIGUSR2, SIG_DFL);
}

TEST(Signal, MisuseIsAClearError) {
  EXPECT_THROW(SignalListener(SIGKILL), std::invalid_argument);
  EXPECT_THROW(SignalListener(SIGSEGV), std::invalid_argument);
  EXPECT_THROW(SignalListener(0), std::invalid_argument);
  EXPECT_THROW(SignalListener(65), std::invalid_argument);
  EXPECT_THROW(SignalListener(std::initializer_list<int>{}), std::invalid_argument);
  try {
    SignalListener{SIGSTOP};
    ADD_FAILURE() << "SIGSTOP accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be caught"), std::string::npos) << e.what();
  }
  // A failed constructor leaves nothing installed.
  EXPECT_EQ(current_handler(SIGUSR1), SIG_DFL);
  EXPECT_THROW(SignalListener({SIGUSR1, SIGKILL}), std::invalid_argument);
  EXPECT_EQ(current_handler(SIGUSR1), SIG_DFL);
  // 64 listeners at once, then a clear error.
  std::vector<SignalListener> many;
  for (int i = 0; i < 64; ++i) many.emplace_back(SIGUSR1);
  EXPECT_THROW(SignalListener(SIGUSR1), std::length_error);
  many.clear();
  EXPECT_EQ(current_handler(SIGUSR1), SIG_DFL);

  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener usr1(SIGUSR1);
  auto first = rt.spawn(usr1.recv());
  std::this_thread::sleep_for(20ms);
  EXPECT_THROW(rt.block_on(usr1.recv()), std::logic_error);
  first.cancel();
  EXPECT_THROW(first.wait(), skein::operation_canceled);
  SignalListener moved = std::move(usr1);
  EXPECT_THROW(rt.block_on(usr1.recv()), std::logic_error);  // NOLINT(bugprone-use-after-move): the point
}

// A thread sends SIGUSR1 to the process in a loop while tasks create,
// receive on, and destroy listeners (one long-lived listener keeps the
// handler installed throughout, so no delivery meets the default action).
// Under TSan and ASan: no race, no use of a closed eventfd.
TEST(Signal, StormWhileListenersComeAndGo) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  SignalListener keeper(SIGUSR1);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread sender([&] {
    while (!stop.load() && sent.load() < 20'000) {
      ::kill(::getpid(), SIGUSR1);
      sent.fetch_add(1);
      std::this_thread::sleep_for(20us);
    }
  });
  const int rounds = skein::test::kSanitized ? 100 : 400;
  std::atomic<int> received{0};
  rt.block_on([](int rounds, std::atomic<int>& received) -> Task<void> {
    std::vector<skein::JoinHandle<void>> hs;
    for (int t = 0; t < 4; ++t)
      hs.push_back(skein::spawn([](int rounds, std::atomic<int>& received) -> Task<void> {
        for (int r = 0; r < rounds; ++r) {
          SignalListener l({SIGUSR1, SIGUSR2});
          if (auto s = co_await recv_within(l, 2ms)) {
            EXPECT_EQ(*s, SIGUSR1);
            received.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }(rounds, received)));
    for (auto& h : hs) co_await h;
  }(rounds, received));
  stop.store(true);
  sender.join();
  EXPECT_GT(sent.load(), 0);
  EXPECT_GT(received.load(), 0) << "no listener ever received one of " << sent.load() << " signals";
  EXPECT_EQ(rt.block_on(recv_within(keeper, 5000ms)), std::optional<int>(SIGUSR1));
}

TEST(Signal, CtrlCReturnsAtTheNextSigint) {
  skein::Runtime rt(skein::Options{.workers = 2});
  SKEIN_SKIP_WITHOUT_SOCKETS(rt);
  std::atomic<bool> waiting{false};
  auto h = rt.spawn([](std::atomic<bool>& waiting) -> Task<void> {
    auto c = skein::ctrl_c();
    waiting.store(true);
    co_await skein::with_timeout(10s, std::move(c));
  }(waiting));
  while (!waiting.load()) std::this_thread::sleep_for(1ms);
  // ctrl_c's listener exists once its task has started; until then SIGINT would
  // still have its default action, so send only once the handler is in place.
  for (int i = 0; i < 5000 && current_handler(SIGINT) == SIG_DFL; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_NE(current_handler(SIGINT), SIG_DFL);
  ::kill(::getpid(), SIGINT);
  EXPECT_NO_THROW(h.wait());
  EXPECT_EQ(current_handler(SIGINT), SIG_DFL);
}
