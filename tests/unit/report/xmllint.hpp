#pragma once
// xmllint (Debian libxml2-utils) for the report tests: run_command spawns without a PATH search, so the
// program is looked up here.

#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace lemu::report::testing {

inline std::string xmllint() {
  if (const char* path = std::getenv("PATH")) {
    std::string_view dirs(path);
    while (!dirs.empty()) {
      const auto colon = dirs.find(':');
      const std::string candidate = std::string(dirs.substr(0, colon)) + "/xmllint";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
  }
  return "/usr/bin/xmllint";
}

} // namespace lemu::report::testing
