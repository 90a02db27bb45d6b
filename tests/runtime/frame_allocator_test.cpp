// The per-thread frame allocator: recycling by size class, large frames from
// operator new, no recycling under ASan (so leaks and use-after-free show).
#include "skein/detail/frame_allocator.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "skein/runtime.hpp"

namespace {

using skein::detail::frame_alloc;
using skein::detail::frame_free;

TEST(FrameAllocator, RecyclesBlocksOfTheSameClass) {
  void* a = frame_alloc(200);
  frame_free(a, 200);
  void* b = frame_alloc(230);  // the same 64-byte class (with the 16-byte header: 193..256)
#ifdef SKEIN_NO_FRAME_RECYCLING
  // Under ASan every frame goes back to the allocator, whose quarantine keeps
  // a freed block from coming back at once: use-after-free stays visible.
  EXPECT_NE(a, b);
#else
  EXPECT_EQ(a, b);
#endif
  frame_free(b, 230);
}

TEST(FrameAllocator, DifferentClassesDoNotShareBlocks) {
  void* small = frame_alloc(64);
  frame_free(small, 64);
  void* big = frame_alloc(512);
  EXPECT_NE(small, big);
  frame_free(big, 512);
}

TEST(FrameAllocator, LargeFramesComeFromOperatorNew) {
  // Beyond the largest class: each allocation is its own block, never cached.
  void* a = frame_alloc(64 * 1024);
  frame_free(a, 64 * 1024);
  void* b = frame_alloc(64 * 1024);
  void* c = frame_alloc(64 * 1024);
  EXPECT_NE(b, c);
  frame_free(b, 64 * 1024);
  frame_free(c, 64 * 1024);
}

// A block freed on another thread goes back to operator delete, not onto
// that thread's list (reusing it there would pull its cache lines across
// cores); a block freed on its own thread is cached.
TEST(FrameAllocator, BlocksFreedOnAnotherThreadAreNotCachedThere) {
  using skein::detail::tls_frame_cache;
  constexpr std::size_t kSize = 100;
  const std::size_t cls = (kSize + skein::detail::kHeader - 1) / skein::detail::kFrameGranule;
  void* p = frame_alloc(kSize);
  std::thread([p, cls] {
    void* own = frame_alloc(kSize);
    frame_free(own, kSize);  // registers this thread's cache
    const unsigned before = tls_frame_cache.count[cls];
    frame_free(p, kSize);
    EXPECT_EQ(tls_frame_cache.count[cls], before);
  }).join();
#ifndef SKEIN_NO_FRAME_RECYCLING
  void* q = frame_alloc(kSize);
  const unsigned before = tls_frame_cache.count[cls];
  frame_free(q, kSize);
  EXPECT_EQ(tls_frame_cache.count[cls], before + 1);
#endif
}

// Worker threads are named skein-w<i>.
TEST(Runtime, WorkerThreadsAreNamed) {
  skein::Runtime rt(skein::Options{.workers = 2});
  std::set<std::string> names;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
    closedir(d);
  }
  EXPECT_TRUE(names.count("skein-w0")) << "threads: " << names.size();
  EXPECT_TRUE(names.count("skein-w1"));
}

}  // namespace
