#include <lemu/gateway/redact.hpp>

#include <lemu/util/text.hpp>

#include <array>
#include <string_view>

namespace lemu::gateway {

namespace {

using json = nlohmann::ordered_json;

bool is_secret_key(std::string_view key) {
  static constexpr std::array<std::string_view, 3> secrets = {"Authorization", "Cookie", "X-Amz-Security-Token"};
  for (const std::string_view s : secrets)
    if (util::iequals(key, s)) return true;
  return false;
}

std::size_t redact_value(json& value) {
  if (value.is_string()) {
    value = redacted_value;
    return 1;
  }
  std::size_t n = 0;
  if (value.is_array()) {
    for (json& element : value) {
      if (element.is_string()) {
        element = redacted_value;
        ++n;
      }
    }
  }
  return n;
}

std::size_t walk(json& value) {
  std::size_t n = 0;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (is_secret_key(it.key()) && (it.value().is_string() || it.value().is_array()))
        n += redact_value(it.value());
      else
        n += walk(it.value());
    }
  } else if (value.is_array()) {
    for (json& element : value) n += walk(element);
  }
  return n;
}

} // namespace

std::size_t redact_secrets(json& event) {
  std::size_t n = walk(event);
  if (event.is_object()) {
    const auto version = event.find("version");
    const auto cookies = event.find("cookies");
    if (version != event.end() && *version == "2.0" && cookies != event.end() && cookies->is_array()) {
      for (json& c : *cookies) {
        c = redacted_value;
        ++n;
      }
    }
  }
  return n;
}

} // namespace lemu::gateway
