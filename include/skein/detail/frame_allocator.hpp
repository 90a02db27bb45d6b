// Per-thread recycling allocator for coroutine frames and task states.
//
// Every Task<T> frame and every spawned task's state comes from here. Blocks are
// grouped in size classes of 64 bytes up to 1 KiB; a freed block goes onto the
// freeing thread's list for its class, so a spawn-heavy workload allocates from
// a warm list instead of malloc. A list holds at most kMaxCachedBytes of blocks
// (so a burst of tens of thousands of live tasks is served from the lists the
// next time, not from malloc); the rest goes back to operator delete. That is
// also what a thread may keep after a burst: 8 MiB per size class it used,
// released when the thread exits. Larger blocks go straight to operator new.
//
// THREAD SAFETY: the lists are thread_local; a block may be freed on another
// thread than the one that allocated it (a stolen task finishes elsewhere) and
// then simply joins that thread's list. Nothing is shared, nothing is atomic.
//
// Under AddressSanitizer recycling is off, so ASan still sees use-after-free and
// LeakSanitizer still sees every leaked frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define SKEIN_NO_FRAME_RECYCLING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKEIN_NO_FRAME_RECYCLING 1
#endif
#endif

namespace skein::detail {

inline constexpr std::size_t kFrameGranule = 64;
inline constexpr std::size_t kFrameClasses = 16;  // 64 .. 1024 bytes
inline constexpr std::size_t kMaxCachedBytes = 8u << 20;  // per class and thread

// Blocks of the size classes start on a cache line (and their sizes are
// multiples of one): a frame running on one worker never shares a line with
// another task's block on another worker (skynet, 2 workers: 24.5 -> 19.3 ms).
// They come from plain operator new with one line of slack, the raw pointer
// kept just below the block: aligned operator new (memalign) made a burst of
// 100,000 spawns 40-90 % slower.
inline void* new_aligned_block(std::size_t size) {
  void* raw = ::operator new(size + kFrameGranule);
  // raw is at least 16-aligned, so the gap below the block holds the pointer.
  const auto block = (reinterpret_cast<std::uintptr_t>(raw) + kFrameGranule) & ~std::uintptr_t{kFrameGranule - 1};
  reinterpret_cast<void**>(block)[-1] = raw;
  return reinterpret_cast<void*>(block);
}
inline void delete_aligned_block(void* block) noexcept { ::operator delete(static_cast<void**>(block)[-1]); }

inline constexpr unsigned max_cached_blocks(std::size_t cls) noexcept {
  return static_cast<unsigned>(kMaxCachedBytes / ((cls + 1) * kFrameGranule));
}

struct FreeBlock {
  FreeBlock* next;
};

struct FrameCache {
  FreeBlock* head[kFrameClasses];
  // How many more blocks each list may take: 0 until the first free on this
  // thread (which registers the cleanup), 0 again once the thread exits, so
  // the fast path of a free is one test.
  unsigned room[kFrameClasses];
  // 0: nothing cached yet; 1: caching, cleanup registered; 2: thread exiting,
  // cache released, every block goes straight back to operator delete.
  unsigned char state;
};

// constinit and trivially destructible, so every access is a plain TLS load
// (no guard or wrapper call). The lists are released at thread exit by a
// separate object registered the first time the slow path runs.
constinit inline thread_local FrameCache tls_frame_cache{};

// Puts a freed block on its list; the list must have room.
inline void push_free_block(FrameCache& c, std::size_t cls, void* p) noexcept {
  auto* b = static_cast<FreeBlock*>(p);
  b->next = c.head[cls];
  c.head[cls] = b;
  --c.room[cls];
}

// A free that found no room: the first on this thread, a full list, or one
// after the thread's cache was released.
void frame_free_slow(void* block, std::size_t cls) noexcept;

inline void* frame_alloc(std::size_t n) {
#ifndef SKEIN_NO_FRAME_RECYCLING
  const std::size_t cls = (n - 1) / kFrameGranule;
  if (cls < kFrameClasses) {
    FrameCache& c = tls_frame_cache;
    if (FreeBlock* b = c.head[cls]) [[likely]] {
      c.head[cls] = b->next;
      ++c.room[cls];
      return b;
    }
    return new_aligned_block((cls + 1) * kFrameGranule);
  }
#endif
  return ::operator new(n);
}

inline void frame_free(void* p, std::size_t n) noexcept {
#ifndef SKEIN_NO_FRAME_RECYCLING
  const std::size_t cls = (n - 1) / kFrameGranule;
  if (cls < kFrameClasses) {
    FrameCache& c = tls_frame_cache;
    if (c.room[cls] != 0) [[likely]] {
      push_free_block(c, cls, p);
      return;
    }
    frame_free_slow(p, cls);
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace skein::detail
