// --env-file contents (any bytes): parsed, each name checked against Lambda's rules.
#include <lemu/process/env_file.hpp>
#include <lemu/process/environment.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    for (const auto& [name, value] : lemu::process::parse_env_file({reinterpret_cast<const char*>(data), size}, "fuzz.env")) {
      try {
        lemu::process::check_user_variable(name);
      } catch (const lemu::process::reserved_variable_error&) {
      }
    }
  } catch (const lemu::process::env_file_error&) {
  }
  return 0;
}
