// Producers and consumers over a bounded channel (the "baozi" shop): cooks
// put buns on a counter that holds 8; customers take them. Every bun is eaten
// exactly once; the program checks the counts and exits non-zero otherwise.
//
//   ./producer_consumer [cooks] [customers] [buns-per-cook]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "skein/channel.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/wait_group.hpp"

namespace {

struct Bun {
  int cook;
  long number;
};

skein::Task<void> cook(int id, long buns, skein::Channel<Bun>& counter, skein::WaitGroup& cooks) {
  for (long i = 0; i < buns; ++i) co_await counter.send(Bun{id, i});
  cooks.done();
}

struct Eaten {
  long buns = 0;
  long checksum = 0;
};

skein::Task<Eaten> customer(skein::Channel<Bun>& counter) {
  Eaten e;
  while (auto bun = co_await counter.recv()) {
    ++e.buns;
    e.checksum += bun->number;
  }
  co_return e;
}

skein::Task<int> shop(int cooks, int customers, long buns_per_cook) {
  skein::Channel<Bun> counter(8);
  skein::WaitGroup cooking;
  std::vector<skein::JoinHandle<Eaten>> eaters;
  for (int c = 0; c < customers; ++c) eaters.push_back(skein::spawn(customer(counter)));
  cooking.add(cooks);
  for (int c = 0; c < cooks; ++c) skein::spawn(cook(c, buns_per_cook, counter, cooking)).detach();
  co_await cooking.wait();
  counter.close();  // customers finish what is on the counter, then see nullopt

  long total = 0, checksum = 0;
  for (int c = 0; c < customers; ++c) {
    Eaten e = co_await eaters[c];
    std::printf("customer %d ate %ld buns\n", c, e.buns);
    total += e.buns;
    checksum += e.checksum;
  }
  const long expected = cooks * buns_per_cook;
  const long expected_checksum = cooks * (buns_per_cook * (buns_per_cook - 1) / 2);
  std::printf("cooks made %ld buns, customers ate %ld (checksum %ld, expected %ld)\n", expected, total, checksum,
              expected_checksum);
  co_return total == expected && checksum == expected_checksum ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int cooks = argc > 1 ? std::atoi(argv[1]) : 3;
  int customers = argc > 2 ? std::atoi(argv[2]) : 2;
  long buns = argc > 3 ? std::atol(argv[3]) : 10'000;
  if (cooks < 1 || customers < 1 || buns < 0) {
    std::fprintf(stderr, "usage: %s [cooks>=1] [customers>=1] [buns-per-cook>=0]\n", argv[0]);
    return 2;
  }
  skein::Runtime rt;
  int rc = rt.block_on(shop(cooks, customers, buns));
  if (rc != 0) std::fprintf(stderr, "MISMATCH: buns lost or duplicated\n");
  return rc;
}
