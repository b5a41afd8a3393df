#pragma once
// `--shard K/N`: a stable 1/N share of a run's events, so that N CI runners together replay every event
// exactly once. The share is by event, not by file: an event belongs to shard
//   1 + FNV-1a-64("<file name>:<line>") mod N
// where <file name> is the last component of its source path (so runners that check the repository out
// in different folders agree) and <line> its 1-based line in a JSON Lines file (0 for a .json file, one
// event). The hash spreads the events of one file evenly over the shards; an event keeps its shard as
// long as it keeps its line.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::app {

struct shard_spec {
  std::size_t index = 1; // K, 1-based
  std::size_t count = 1; // N

  // "K/N" with 1 <= K <= N; nullopt otherwise.
  static std::optional<shard_spec> parse(std::string_view text);
  // Whether the event at `source`:`line` is this shard's.
  bool takes(const std::string& source, std::size_t line) const;
};

// The 64-bit FNV-1a hash of `text` (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t fnv1a_64(std::string_view text);

} // namespace lemu::app
