// nqueens: count the placements of n queens on an n×n board, one spawned task
// per queen placed (every safe square of the next row). An irregular tree:
// the number of children per task varies from 0 to n, and most branches die
// early, so the load balance depends on stealing.
#include <oneapi/tbb/task_group.h>

#include <array>
#include <cstdint>
#include <map>

#include "registry.hpp"
#include "runners.hpp"
#include "skein/spawn.hpp"
#include "skein/task.hpp"

namespace {

constexpr int kMaxBoard = 16;

// A partial placement: the columns and both diagonals taken by the queens on
// the rows above, as bit masks shifted to the current row.
struct Board {
  int n;
  int row;
  std::uint32_t cols, diag_left, diag_right;

  std::uint32_t free_squares() const { return ~(cols | diag_left | diag_right) & ((1u << n) - 1); }
  Board place(std::uint32_t bit) const {
    return {n, row + 1, cols | bit, (diag_left | bit) << 1, (diag_right | bit) >> 1};
  }
};

skein::Task<std::int64_t> nqueens(Board b) {
  if (b.row == b.n) co_return 1;
  std::array<skein::JoinHandle<std::int64_t>, kMaxBoard> children;
  int k = 0;
  for (std::uint32_t free = b.free_squares(); free != 0; free &= free - 1)
    children[k++] = skein::spawn(nqueens(b.place(free & -free)));
  std::int64_t solutions = 0;
  for (int i = 0; i < k; ++i) solutions += co_await children[i];
  co_return solutions;
}

std::int64_t nqueens_tbb(Board b) {
  if (b.row == b.n) return 1;
  std::array<std::int64_t, kMaxBoard> counts{};
  tbb::task_group tg;
  int k = 0;
  for (std::uint32_t free = b.free_squares(); free != 0; free &= free - 1, ++k) {
    const Board next = b.place(free & -free);
    tg.run([&counts, k, next] { counts[k] = nqueens_tbb(next); });
  }
  tg.wait();
  std::int64_t solutions = 0;
  for (int i = 0; i < k; ++i) solutions += counts[i];
  return solutions;
}

// Sequential walk of the same tree: (solutions, placements).
std::pair<std::int64_t, std::int64_t> nqueens_walk(Board b) {
  if (b.row == b.n) return {1, 0};
  std::pair<std::int64_t, std::int64_t> total{0, 0};
  for (std::uint32_t free = b.free_squares(); free != 0; free &= free - 1) {
    auto [s, t] = nqueens_walk(b.place(free & -free));
    total.first += s;
    total.second += t + 1;
  }
  return total;
}

// The known counts (OEIS A000170), so the check does not trust the code it checks.
std::int64_t nqueens_solutions(long n) {
  static const std::map<long, std::int64_t> known = {{4, 2},      {5, 10},     {6, 4},     {7, 40},
                                                     {8, 92},     {9, 352},    {10, 724},  {11, 2680},
                                                     {12, 14200}, {13, 73712}, {14, 365596}};
  auto it = known.find(n);
  return it != known.end() ? it->second : nqueens_walk({static_cast<int>(n), 0, 0, 0, 0}).first;
}

// Spawns per run: one per placement (remembered: the walk takes milliseconds).
double nqueens_tasks(long n) {
  static std::map<long, double> cache;
  auto [it, inserted] = cache.try_emplace(n, 0.0);
  if (inserted) it->second = static_cast<double>(nqueens_walk({static_cast<int>(n), 0, 0, 0, 0}).second);
  return it->second;
}

Board empty_board(long n) { return {static_cast<int>(n), 0, 0, 0, 0}; }

void nqueens_skein(benchmark::State& state, const skein_bench::Params& p) {
  const Board b = empty_board(p.size);
  skein_bench::run_skein(state, p, [b] { return nqueens(b); },
                         skein_bench::expect(nqueens_solutions(p.size), "nqueens solutions"));
}

void nqueens_tbb_bench(benchmark::State& state, const skein_bench::Params& p) {
  const Board b = empty_board(p.size);
  skein_bench::run_tbb(state, p, [b] { return nqueens_tbb(b); },
                       skein_bench::expect(nqueens_solutions(p.size), "nqueens solutions"));
}

}  // namespace

SKEIN_BENCH_WORKLOAD(nqueens) {
  return {.name = "nqueens",
          .sizes = {12},
          .quick_sizes = {10},
          .tasks = nqueens_tasks,
          .impls = {{"skein", nqueens_skein}, {"tbb", nqueens_tbb_bench}}};
}
