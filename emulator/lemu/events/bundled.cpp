#include <lemu/events/bundled.hpp>

#include <cstdlib>
#include <regex>
#include <system_error>

namespace lemu::events {

std::filesystem::path bundled_events_dir(const char* argv0, const std::filesystem::path& source_tree) {
  if (const char* env = std::getenv("LEMU_EVENTS_DIR"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  const auto installed = exe.parent_path().parent_path() / "share" / "lemu" / "events";
  if (std::filesystem::is_directory(installed, ec)) return installed;
  return source_tree;
}

std::string resolve_event_spec(const std::string& spec, const std::filesystem::path& events_dir) {
  static const std::regex bundled_name("[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9._-]*)?");
  std::error_code ec;
  if (spec == "-" || std::filesystem::exists(spec, ec) || events_dir.empty() || !std::regex_match(spec, bundled_name)) {
    return spec;
  }
  const auto file = events_dir / (spec + ".json");
  if (std::filesystem::is_regular_file(file, ec)) return file.string();
  const auto folder = events_dir / spec;
  if (std::filesystem::is_directory(folder, ec)) return folder.string();
  return spec;
}

} // namespace lemu::events
