#pragma once
// How the CLI talks about bad usage: range checks that read as people write them, one-line parse errors
// (`lemu: error: ...`, exit 2) that name the problem and the fix, and Lambda's limits as warnings.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lemu::cli {

// "must be between 0.001 and 86400 seconds, got '0'" (inclusive; `unit` may be empty).
CLI::Validator between(double low, double high, const std::string& unit = {});
// "must be at least 1, got '0'" for a whole number.
CLI::Validator at_least(std::uint64_t low);

// "must be one of text, json (any case), got 'xml'": the value is one of `choices`, ASCII case-insensitively.
CLI::Validator one_of(const std::vector<std::string>& choices);

// The one line printed for a parse error of `cli` (without "lemu: error: " and the newline).
std::string parse_error_line(const CLI::App& cli, const CLI::ParseError& e);

// Lambda's own limits (not lemu's): a value outside them gets one warning line on stderr, or, with
// --strict, a core::usage_error.
struct lambda_limits_input {
  double timeout_seconds = 3;
  std::uint32_t memory_mb = 128;
  bool strict = false;
  std::uint32_t ephemeral_storage_mb = 512;
};
void check_lambda_limits(const lambda_limits_input& in);

} // namespace lemu::cli
