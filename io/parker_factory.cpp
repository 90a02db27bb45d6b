// Creates the Parker a worker sleeps in. Called on the worker's own thread.
#include "runtime/parker.hpp"

namespace skein::detail {

std::unique_ptr<Parker> make_worker_parker(std::size_t /*worker_index*/) { return std::make_unique<Parker>(); }

}  // namespace skein::detail
