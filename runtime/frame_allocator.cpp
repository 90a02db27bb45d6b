// Releases a thread's cached coroutine frames when the thread exits.
#include "skein/detail/frame_allocator.hpp"

namespace skein::detail {
namespace {

struct FrameCacheReleaser {
  bool armed = false;
  ~FrameCacheReleaser() {
    FrameCache& c = tls_frame_cache;
    // Frames freed after this point (by later thread_local destructors) go
    // straight back to operator delete: no room, state 2.
    c.state = 2;
    for (std::size_t cls = 0; cls < kFrameClasses; ++cls) {
      c.room[cls] = 0;
      while (FreeBlock* b = c.head[cls]) {
        c.head[cls] = b->next;
        delete_aligned_block(b);
      }
    }
  }
};

thread_local FrameCacheReleaser tls_releaser;

}  // namespace

void frame_free_slow(void* block, std::size_t cls) noexcept {
  FrameCache& c = tls_frame_cache;
  if (c.state == 0) {
    tls_releaser.armed = true;  // first odr-use constructs it and registers its destructor
    c.state = 1;
    for (std::size_t k = 0; k < kFrameClasses; ++k) c.room[k] = max_cached_blocks(k);
  }
  if (c.state == 1 && c.room[cls] != 0) {
    push_free_block(c, cls, block);
    return;
  }
  delete_aligned_block(block);  // the list is full, or the thread is exiting
}

}  // namespace skein::detail
