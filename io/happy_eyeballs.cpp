// TcpStream::connect over several addresses, the Happy Eyeballs way (tcp.hpp,
// RFC 8305).
//
// ALGORITHM. Attempts are spawned tasks, each connecting to one address and
// sending its outcome (the stream, or the error) into a channel with room for
// every outcome, so an attempt never waits on the channel. The caller starts
// the first attempt, then waits for an outcome at most `attempt_delay`; when
// the wait times out, or an attempt fails, it starts the next address. The
// first connected stream wins. On any exit (a winner, a final error, the
// caller cancelled) the attempts still running are cancelled and detached:
// their connect is withdrawn and their socket closed in their own frames; an
// attempt that connected anyway leaves its stream in the channel, which it
// shares, so the stream is closed when the last of them lets go.
#include "io/happy_eyeballs.hpp"

#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "skein/channel.hpp"
#include "skein/join_handle.hpp"
#include "skein/spawn.hpp"
#include "skein/tcp.hpp"

namespace skein {

namespace io {

std::vector<SocketAddr> interleave_families(std::vector<SocketAddr> addrs) {
  std::vector<SocketAddr> first, other;
  for (SocketAddr& a : addrs) (a.family() == addrs.front().family() ? first : other).push_back(a);
  std::vector<SocketAddr> out;
  out.reserve(addrs.size());
  for (std::size_t i = 0; i < first.size() || i < other.size(); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < other.size()) out.push_back(other[i]);
  }
  return out;
}

}  // namespace io

namespace {

struct Outcome {
  std::size_t index;
  std::variant<TcpStream, std::error_code> result;
};
using Outcomes = Channel<Outcome>;

Task<void> attempt(SocketAddr addr, std::size_t index, std::shared_ptr<Outcomes> outcomes) {
  Outcome o{index, std::error_code()};
  try {
    o.result = co_await TcpStream::connect(addr);
  } catch (const std::system_error& e) {
    o.result = e.code();
  } catch (const operation_canceled&) {
    throw;  // the race is over: nobody waits for this outcome
  } catch (const std::bad_alloc&) {
    o.result = std::make_error_code(std::errc::not_enough_memory);
  }
  (void)outcomes->try_send(std::move(o));  // room for every attempt: never full
}

// Errors after which another address may still work.
bool another_address_may_work(const std::error_code& ec) noexcept {
  if (ec.category() != std::system_category()) return false;
  switch (ec.value()) {
    case ECONNREFUSED:
    case ETIMEDOUT:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case ECONNRESET:
      return true;
    default:
      return false;
  }
}

// Cancels and lets go of the attempts still running, whatever way the caller
// leaves (a destructor: it runs while an exception unwinds, too).
struct AttemptsInFlight {
  std::vector<JoinHandle<void>> handles;
  ~AttemptsInFlight() {
    for (auto& h : handles) {
      try {
        h.cancel();
      } catch (...) {
        // already finished and taken: nothing to cancel
      }
    }
  }
};

}  // namespace

namespace io {

Task<TcpStream> connect_racing(std::vector<SocketAddr> addrs, std::chrono::milliseconds attempt_delay,
                               std::string& tried) {
  if (addrs.empty()) throw std::invalid_argument("skein::TcpStream::connect: no address to connect to");
  if (addrs.size() == 1) {  // no race: no task either
    try {
      co_return co_await TcpStream::connect(addrs.front());
    } catch (const std::system_error& e) {
      tried = addrs.front().to_string() + " (" + e.code().message() + ")";
      throw;
    }
  }
  auto outcomes = std::make_shared<Outcomes>(addrs.size());
  AttemptsInFlight running;
  running.handles.reserve(addrs.size());
  std::size_t started = 0, finished = 0;
  std::error_code last;
  auto start_next = [&] {
    running.handles.push_back(spawn(attempt(addrs[started], started, outcomes)));
    ++started;
  };
  start_next();
  for (;;) {
    std::optional<Outcome> o;
    if (started < addrs.size()) {
      try {
        o = co_await outcomes->recv_for(attempt_delay);
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::timed_out) throw;
      }
      if (!o) {  // no outcome within the delay: the next address joins the race
        start_next();
        continue;
      }
    } else {
      o = co_await outcomes->recv();
    }
    ++finished;
    if (auto* stream = std::get_if<TcpStream>(&o->result)) co_return std::move(*stream);
    last = std::get<std::error_code>(o->result);
    tried += (tried.empty() ? "" : ", ") + addrs[o->index].to_string() + " (" + last.message() + ")";
    if (!another_address_may_work(last) || finished == addrs.size()) throw std::system_error(last, "");
    if (started < addrs.size()) start_next();  // a failure does not wait out the delay: the next one now
  }
}

}  // namespace io

Task<TcpStream> TcpStream::connect(std::vector<SocketAddr> addrs, std::chrono::milliseconds attempt_delay) {
  std::string tried;
  try {
    co_return co_await io::connect_racing(std::move(addrs), attempt_delay, tried);
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), "skein::TcpStream::connect (tried " + tried + ")");
  }
}

}  // namespace skein
