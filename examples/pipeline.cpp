// A coroutine pipeline in the shape of David Beazley's "Generator Tricks"
// and "A Curious Course on Coroutines": source -> filter -> broadcast -> sinks.
//
//   source     a Generator<std::string> of log lines, pushed into a channel
//   grep       an AsyncGenerator reading that channel, yielding lines that match
//   broadcast  a task sending every matching line to each sink's channel
//   sinks      tasks counting lines, counting words, and keeping the first few
//
// Every stage prints what it saw; the counts are checked against a direct
// computation and the program exits non-zero on a mismatch.
//
//   ./pipeline [lines] [pattern]
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "skein/channel.hpp"
#include "skein/generator.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"

namespace {

using Lines = skein::Channel<std::string>;

const char* const kWords[] = {"python", "skein", "coroutine", "channel", "worker", "task", "steal"};

std::string make_line(long i) {
  std::string line = "line " + std::to_string(i) + ":";
  for (long k = 0; k < 1 + i % 4; ++k) line += std::string(" ") + kWords[(i * 5 + k * 3) % 7];
  return line;
}

// Source: a plain synchronous generator.
skein::Generator<std::string> log_lines(long n) {
  for (long i = 0; i < n; ++i) co_yield make_line(i);
}

skein::Task<long> feed(long n, Lines& out) {
  long sent = 0;
  for (const std::string& line : log_lines(n)) {
    co_await out.send(line);
    ++sent;
  }
  out.close();
  co_return sent;
}

// Filter: an asynchronous generator that awaits the channel.
skein::AsyncGenerator<std::string> grep(std::string pattern, Lines& in) {
  while (auto line = co_await in.recv())
    if (line->find(pattern) != std::string::npos) co_yield std::move(*line);
}

struct FilterCounts {
  long passed = 0;
};

skein::Task<FilterCounts> broadcast(std::string pattern, Lines& in, std::vector<Lines*> sinks) {
  FilterCounts c;
  auto matches = grep(std::move(pattern), in);
  while (auto line = co_await matches.next()) {
    ++c.passed;
    for (Lines* s : sinks) co_await s->send(*line);
  }
  for (Lines* s : sinks) s->close();
  co_return c;
}

skein::Task<long> count_lines(Lines& in) {
  long n = 0;
  while (co_await in.recv()) ++n;
  co_return n;
}

skein::Task<long> count_words(Lines& in) {
  long words = 0;
  while (auto line = co_await in.recv()) {
    std::istringstream ss(*line);
    std::string w;
    while (ss >> w) ++words;
  }
  co_return words;
}

skein::Task<std::vector<std::string>> keep_first(Lines& in, std::size_t k) {
  std::vector<std::string> first;
  while (auto line = co_await in.recv())
    if (first.size() < k) first.push_back(std::move(*line));
  co_return first;
}

skein::Task<int> run(long n, std::string pattern) {
  Lines source(64), to_lines(16), to_words(16), to_first(16);
  auto lines = skein::spawn(count_lines(to_lines));
  auto words = skein::spawn(count_words(to_words));
  auto first = skein::spawn(keep_first(to_first, 3));
  auto filter = skein::spawn(broadcast(pattern, source, {&to_lines, &to_words, &to_first}));
  long emitted = co_await feed(n, source);

  FilterCounts fc = co_await filter;
  long sink_lines = co_await lines;
  long sink_words = co_await words;
  std::vector<std::string> head = co_await first;

  // The same computation without the pipeline.
  long want_lines = 0, want_words = 0;
  for (long i = 0; i < n; ++i) {
    std::string l = make_line(i);
    if (l.find(pattern) == std::string::npos) continue;
    ++want_lines;
    std::istringstream ss(l);
    std::string w;
    while (ss >> w) ++want_words;
  }

  std::printf("source     emitted %ld lines\n", emitted);
  std::printf("grep       passed %ld lines containing \"%s\"\n", fc.passed, pattern.c_str());
  std::printf("sink lines counted %ld lines\n", sink_lines);
  std::printf("sink words counted %ld words\n", sink_words);
  std::printf("sink first kept %zu lines:\n", head.size());
  for (const auto& l : head) std::printf("  %s\n", l.c_str());

  bool ok = emitted == n && fc.passed == want_lines && sink_lines == want_lines && sink_words == want_words &&
            head.size() == std::min<std::size_t>(3, static_cast<std::size_t>(want_lines));
  std::printf("%s: expected %ld lines and %ld words\n", ok ? "OK" : "MISMATCH", want_lines, want_words);
  co_return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 10'000;
  std::string pattern = argc > 2 ? argv[2] : "python";
  if (n < 0) {
    std::fprintf(stderr, "usage: %s [lines>=0] [pattern]\n", argv[0]);
    return 2;
  }
  skein::Runtime rt;
  return rt.block_on(run(n, std::move(pattern)));
}
