#include <lemu/process/env_file.hpp>

#include <lemu/util/text.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lemu::process {

std::vector<std::pair<std::string, std::string>> parse_env_file(std::string_view text, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> vars;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++number;
    std::string_view t = util::trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.substr(0, 7) == "export ") t = util::trim(t.substr(7));
    const auto eq = t.find('=');
    if (eq == std::string_view::npos || util::trim(t.substr(0, eq)).empty()) {
      throw env_file_error(std::string(name) + ":" + std::to_string(number) + ": expected NAME=VALUE, got '" +
                           std::string(t) + "'");
    }
    std::string value(t.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    vars.emplace_back(std::string(util::trim(t.substr(0, eq))), std::move(value));
  }
  return vars;
}

std::vector<std::pair<std::string, std::string>> read_env_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw env_file_error(path + ": cannot read env file: " + std::strerror(errno));
  std::string text(max_env_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_env_file_bytes) {
    throw env_file_error(path + ": env file is over " + std::to_string(max_env_file_bytes) + " bytes");
  }
  return parse_env_file(text, path);
}

} // namespace lemu::process
