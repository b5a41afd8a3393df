#include <lemu/app/shard.hpp>

#include <charconv>
#include <filesystem>

namespace lemu::app {

std::uint64_t fnv1a_64(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::optional<shard_spec> shard_spec::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view s) -> std::optional<std::size_t> {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const auto k = number(text.substr(0, slash)), n = number(text.substr(slash + 1));
  if (!k || !n || *k < 1 || *k > *n) return std::nullopt;
  return shard_spec{*k, *n};
}

bool shard_spec::takes(const std::string& source, std::size_t line) const {
  const std::string key = std::filesystem::path(source).filename().string() + ":" + std::to_string(line);
  return fnv1a_64(key) % count == index - 1;
}

} // namespace lemu::app
