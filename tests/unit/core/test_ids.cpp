// core/ids: request ids (UUID v4), X-Ray trace ids and random strings: formats, seeding, no repeats.
#include <lemu/core/ids.hpp>

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace lemu::core {
namespace {

TEST(Ids, RequestIdIsALowercaseUuidV4) {
  id_generator ids(42);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 200; ++i) {
    const std::string id = ids.request_id();
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
  }
}

TEST(Ids, TraceIdHasRootParentAndSampled) {
  id_generator ids(7);
  const std::string t = ids.trace_id();
  EXPECT_TRUE(std::regex_match(t, std::regex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0"))) << t;
  // The root's first part is the current epoch second in hex.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  const long long seconds = std::stoll(t.substr(7, 8), nullptr, 16);
  EXPECT_LE(std::llabs(seconds - static_cast<long long>(now.count())), 5);
}

TEST(Ids, ASeedGivesTheSameSequence) {
  id_generator a(1234), b(1234), c(1235);
  EXPECT_EQ(a.request_id(), b.request_id());
  EXPECT_EQ(a.lower_alnum(10), b.lower_alnum(10));
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(id_generator(1234).request_id(), c.request_id());
}

TEST(Ids, CharactersComeFromTheAlphabet) {
  id_generator ids(99);
  const std::string alnum = ids.lower_alnum(500);
  EXPECT_EQ(alnum.size(), 500U);
  EXPECT_TRUE(std::regex_match(alnum, std::regex("[a-z0-9]+")));
  EXPECT_TRUE(std::regex_match(ids.hex(64), std::regex("[0-9a-f]{64}")));
  EXPECT_EQ(ids.characters("Q", 3), "QQQ");
  EXPECT_EQ(ids.characters("abc", 0), "");
  EXPECT_EQ(ids.below(0), 0U);
  for (int i = 0; i < 100; ++i) EXPECT_LT(ids.below(7), 7U);
}

TEST(Ids, UnseededGeneratorsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(id_generator().request_id());
  EXPECT_EQ(seen.size(), 100U);
  EXPECT_NE(random_seed(), random_seed());
}

} // namespace
} // namespace lemu::core
