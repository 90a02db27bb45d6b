// Everything of skein's public API.
#pragma once

#include "skein/blocking.hpp"
#include "skein/error.hpp"
#include "skein/join_handle.hpp"
#include "skein/runtime.hpp"
#include "skein/spawn.hpp"
#include "skein/stats.hpp"
#include "skein/task.hpp"
