// Releases a thread's cached coroutine frames when the thread exits.
#include "skein/detail/frame_allocator.hpp"

namespace skein::detail {
namespace {

struct FrameCacheReleaser {
  bool armed = false;
  ~FrameCacheReleaser() {
    FrameCache& c = tls_frame_cache;
    for (std::size_t cls = 0; cls < kFrameClasses; ++cls) {
      while (FreeBlock* b = c.head[cls]) {
        c.head[cls] = b->next;
        delete_aligned_block(b);
      }
      c.count[cls] = 0;
    }
    // Frames freed after this point (by later thread_local destructors) go
    // straight back to operator delete.
    c.state = 2;
  }
};

thread_local FrameCacheReleaser tls_releaser;

}  // namespace

void register_frame_cache_cleanup() noexcept {
  tls_releaser.armed = true;  // first odr-use constructs it and registers its destructor
  tls_frame_cache.state = 1;
}

}  // namespace skein::detail
