#pragma once
// stdin, or a pipe given as --event, copied once into an unlinked temporary file (events' own detail):
// bounded, and stopped at the first byte that certainly is not JSON.

#include <lemu/events/reading.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace lemu::events::detail {

struct spool_result {
  fd_holder file{-1};
  std::uint64_t bytes = 0;                       // as stored
  std::map<std::size_t, std::uint64_t> oversize; // line -> its whole size, for lines cut short
  std::size_t lines = 0;                         // lines stored (a last line without '\n' included)
};

// Copies everything readable from `fd` into an unlinked temporary file (close-on-exec, in $TMPDIR or
// /tmp), stopping with an input_error at the first byte that certainly is not JSON (a NUL anywhere; the
// first non-blank byte not able to begin a value) and at o.max_spool_bytes. Lines longer than the event
// limit are stored cut at limit + 1 bytes (enough to know they are too big), their sizes kept in `oversize`.
spool_result spool(int fd, const std::string& display_name, const input_options& o);

// True when the whole file is one valid JSON document (checked streaming, in constant memory).
bool is_one_document(const std::string& path);

} // namespace lemu::events::detail
