// Reading a live process's scheduler stats: connect to its abstract unix
// socket "@skein-<pid>" (runtime/stats_server.hpp) and parse the JSON
// snapshot it sends.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace skeinctl {

struct Snapshot {
  std::map<std::string, std::uint64_t> runtime;              // top-level counters
  std::vector<std::map<std::string, std::uint64_t>> workers;  // one map per worker
};

// The raw JSON document; throws std::runtime_error naming the socket and the
// reason (no such process, stats socket not enabled, ...).
std::string fetch_json(const std::string& socket_name);

// Parses the document stats_json() writes; throws std::runtime_error on
// anything else.
Snapshot parse(const std::string& json);

}  // namespace skeinctl
