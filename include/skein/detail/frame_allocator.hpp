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
// THREAD SAFETY: the lists are thread_local. A block remembers the thread
// cache it was allocated from (a 16-byte header); a block freed on another
// thread (a stolen task finishing elsewhere) is not cached there but goes back
// to operator delete, which returns it to the allocator arena it came from.
// Nothing is shared, nothing is atomic.
//
// Under AddressSanitizer recycling is off, so ASan still sees use-after-free and
// LeakSanitizer still sees every leaked frame.
#pragma once

#include <cstddef>
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

inline constexpr unsigned max_cached_blocks(std::size_t cls) noexcept {
  return static_cast<unsigned>(kMaxCachedBytes / ((cls + 1) * kFrameGranule));
}

struct FreeBlock {
  FreeBlock* next;
};

struct FrameCache {
  FreeBlock* head[kFrameClasses];
  unsigned count[kFrameClasses];
  // 0: nothing cached yet; 1: caching, cleanup registered; 2: thread exiting,
  // cache released, every block goes straight back to operator delete.
  unsigned char state;
};

// constinit and trivially destructible, so every access is a plain TLS load
// (no guard or wrapper call). The lists are released at thread exit by a
// separate object registered the first time the slow path runs.
constinit inline thread_local FrameCache tls_frame_cache{};

void register_frame_cache_cleanup() noexcept;

// Every cached block starts with a 16-byte header naming the thread cache it
// came from. A block freed on another thread (a stolen task's frame) goes
// back to operator delete, which returns it to the allocator it came from,
// instead of onto this thread's list: reusing it here at once would pull its
// cache lines across cores on every such allocation.
struct BlockHeader {
  FrameCache* owner;
  std::size_t pad;
};
inline constexpr std::size_t kHeader = sizeof(BlockHeader);

inline void* frame_alloc(std::size_t n) {
#ifndef SKEIN_NO_FRAME_RECYCLING
  const std::size_t cls = (n + kHeader - 1) / kFrameGranule;
  if (cls < kFrameClasses) {
    FrameCache& c = tls_frame_cache;
    FreeBlock* b = c.head[cls];
    if (b) [[likely]] {
      c.head[cls] = b->next;
      --c.count[cls];
    } else {
      b = static_cast<FreeBlock*>(::operator new((cls + 1) * kFrameGranule));
    }
    auto* h = reinterpret_cast<BlockHeader*>(b);
    h->owner = &c;
    return h + 1;
  }
#endif
  return ::operator new(n);
}

inline void frame_free(void* p, std::size_t n) noexcept {
#ifndef SKEIN_NO_FRAME_RECYCLING
  const std::size_t cls = (n + kHeader - 1) / kFrameGranule;
  if (cls < kFrameClasses) {
    BlockHeader* h = static_cast<BlockHeader*>(p) - 1;
    FrameCache& c = tls_frame_cache;
    if (c.state == 0) register_frame_cache_cleanup();
    if (h->owner == &c && c.count[cls] < max_cached_blocks(cls) && c.state == 1) [[likely]] {
      auto* b = reinterpret_cast<FreeBlock*>(h);
      b->next = c.head[cls];
      c.head[cls] = b;
      ++c.count[cls];
      return;
    }
    ::operator delete(h);
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace skein::detail
