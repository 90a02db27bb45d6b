// The README's first program, built against an installed skein.
#include <skein/skein.hpp>

skein::Task<long> fib(int n) {
  if (n < 2) co_return n;
  auto left = skein::spawn(fib(n - 1));
  long right = co_await fib(n - 2);
  co_return co_await left + right;
}

int main() {
  skein::Runtime rt;
  return rt.block_on(fib(20)) == 6765 ? 0 : 1;
}
