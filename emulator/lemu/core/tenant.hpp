#pragma once
// Tenant ids (tenant isolation, PROTOCOL.md §9.2): what Lambda's Invoke API accepts as X-Amz-Tenant-Id
// (the TenantId member: 1 to 256 characters of [a-zA-Z0-9._:/=+-@ ] and space). Pure.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::core {

inline constexpr std::size_t max_tenant_id = 256;
// Lambda's pattern for TenantId, as its validation messages quote it.
inline constexpr const char* tenant_id_pattern = R"([a-zA-Z0-9\._:\/=+\-@ ]+)";

// Why `id` is not a valid tenant id, as the end of Lambda's validation message ("Member must have length
// greater than or equal to 1", "Member must have length less than or equal to 256", "Member must satisfy
// regular expression pattern: ..."); "" when it is valid.
std::string tenant_id_problem(std::string_view id);

} // namespace lemu::core
