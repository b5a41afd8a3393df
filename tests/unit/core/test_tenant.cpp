// core/tenant: which tenant ids Lambda's Invoke API accepts, and why it refuses the others.
#include <lemu/core/tenant.hpp>

#include <gtest/gtest.h>

namespace lemu::core {
namespace {

TEST(TenantId, AcceptsLambdasCharacterSet) {
  EXPECT_EQ(tenant_id_problem("blue"), "");
  EXPECT_EQ(tenant_id_problem("a"), "");
  EXPECT_EQ(tenant_id_problem("Org-42_eu.west:team/a=b+c@example.com with space"), "");
  EXPECT_EQ(tenant_id_problem(std::string(256, 'x')), "");
}

TEST(TenantId, RefusesEmptyLongAndOtherCharacters) {
  EXPECT_EQ(tenant_id_problem(""), "Member must have length greater than or equal to 1");
  EXPECT_EQ(tenant_id_problem(std::string(257, 'x')), "Member must have length less than or equal to 256");
  const std::string pattern = R"(Member must satisfy regular expression pattern: [a-zA-Z0-9\._:\/=+\-@ ]+)";
  EXPECT_EQ(tenant_id_problem("blue!"), pattern);
  EXPECT_EQ(tenant_id_problem("tab\there"), pattern);
  EXPECT_EQ(tenant_id_problem("caf\xc3\xa9"), pattern); // non-ASCII
  EXPECT_EQ(tenant_id_problem(std::string("a\0b", 3)), pattern);
}

} // namespace
} // namespace lemu::core
