// The calling thread's IoParker (set by make_worker_parker on each worker).
#pragma once

namespace skein::io {
class IoParker;
// Null on threads that are not workers, and on workers without io_uring.
extern thread_local IoParker* tls_io_parker;
// The errno of the failed io_uring setup on this worker (0: none or not tried).
extern thread_local int tls_io_setup_errno;
// Called by ~IoParker: if `p` is this thread's parker, drop the thread's
// references to it (and its ring fd registration) now.
void forget_thread_parker(IoParker* p) noexcept;
}  // namespace skein::io
