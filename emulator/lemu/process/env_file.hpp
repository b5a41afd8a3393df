#pragma once
// --env-file: NAME=VALUE lines, as `docker run --env-file` and shells' .env files write them. Blank lines and
// lines starting with # are skipped; an `export ` prefix is allowed; one pair of matching quotes around the
// value is removed (nothing inside is unescaped or expanded). Pure parsing plus one bounded file read.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::process {

struct env_file_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An env file is read whole; beyond this it is refused (Lambda allows 4 KB of variables in all).
inline constexpr std::size_t max_env_file_bytes = std::size_t{1} << 20;

// Throws env_file_error "NAME:LINE: expected NAME=VALUE, got '...'" for a line without '=' or a name.
std::vector<std::pair<std::string, std::string>> parse_env_file(std::string_view text, std::string_view name);

// Reads and parses `path`; env_file_error when it cannot be read, is too big, or a line is malformed.
std::vector<std::pair<std::string, std::string>> read_env_file(const std::string& path);

} // namespace lemu::process
