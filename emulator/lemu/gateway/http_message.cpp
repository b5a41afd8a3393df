#include <lemu/gateway/http_message.hpp>

#include <lemu/util/text.hpp>

namespace lemu::gateway {

namespace {
std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (util::iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}
} // namespace

bool has_header(const header_list& headers, std::string_view name) { return find_header(headers, name).has_value(); }

std::optional<std::string_view> http_request::header(std::string_view name) const { return find_header(headers, name); }
std::optional<std::string_view> http_response::header(std::string_view name) const { return find_header(headers, name); }

} // namespace lemu::gateway
