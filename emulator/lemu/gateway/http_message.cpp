#include <lemu/gateway/http_message.hpp>

#include <algorithm>
#include <cctype>

namespace lemu::gateway {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

namespace {
std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}
} // namespace

std::optional<std::string_view> http_request::header(std::string_view name) const { return find_header(headers, name); }
std::optional<std::string_view> http_response::header(std::string_view name) const { return find_header(headers, name); }

} // namespace lemu::gateway
