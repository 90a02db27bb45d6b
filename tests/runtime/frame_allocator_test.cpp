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
  void* b = frame_alloc(250);  // the same 64-byte class: 193..256 bytes
#ifdef SKEIN_NO_FRAME_RECYCLING
  // Under ASan every frame goes back to the allocator, whose quarantine keeps
  // a freed block from coming back at once: use-after-free stays visible.
  EXPECT_NE(a, b);
#else
  EXPECT_EQ(a, b);
#endif
  frame_free(b, 250);
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

TEST(FrameAllocator, BlocksFreedOnAnotherThreadAreReused) {
  void* p = frame_alloc(100);
  std::thread([p] {
    frame_free(p, 100);
    void* q = frame_alloc(100);
#ifndef SKEIN_NO_FRAME_RECYCLING
    EXPECT_EQ(p, q);  // it joined this thread's list
#endif
    frame_free(q, 100);
  }).join();
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
