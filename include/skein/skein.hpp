// Everything of skein's public API.
#pragma once

// Tasks and the runtime.
#include "skein/blocking.hpp"
#include "skein/error.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/stats.hpp"
#include "skein/task.hpp"

// I/O on io_uring.
#include "skein/file.hpp"
#include "skein/interval.hpp"
#include "skein/resolve.hpp"
#include "skein/signal.hpp"
#include "skein/socket_addr.hpp"
#include "skein/tcp.hpp"
#include "skein/time.hpp"
#include "skein/udp.hpp"
#include "skein/unix.hpp"

// Cooperation between tasks.
#include "skein/cancel.hpp"
#include "skein/channel.hpp"
#include "skein/event.hpp"
#include "skein/generator.hpp"
#include "skein/join_set.hpp"
#include "skein/mutex.hpp"
#include "skein/rw_lock.hpp"
#include "skein/notify.hpp"
#include "skein/select.hpp"
#include "skein/semaphore.hpp"
#include "skein/wait_group.hpp"
#include "skein/when_all.hpp"
