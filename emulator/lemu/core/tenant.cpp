#include <lemu/core/tenant.hpp>

#include <algorithm>

namespace lemu::core {

namespace {

bool tenant_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("._:/=+-@ ").find(c) != std::string_view::npos;
}

} // namespace

std::string tenant_id_problem(std::string_view id) {
  if (id.empty()) return "Member must have length greater than or equal to 1";
  if (id.size() > max_tenant_id) return "Member must have length less than or equal to " + std::to_string(max_tenant_id);
  if (!std::all_of(id.begin(), id.end(), tenant_char)) {
    return std::string("Member must satisfy regular expression pattern: ") + tenant_id_pattern;
  }
  return {};
}

} // namespace lemu::core
