#include <lemu/app/shard.hpp>
#include <lemu/app/test_outcome.hpp>
#include <lemu/stats/summary.hpp>

#include <gtest/gtest.h>

#include <map>

using lemu::app::shard_spec;

TEST(Shard, ParsesKOfN) {
  const auto s = shard_spec::parse("2/4");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 2U);
  EXPECT_EQ(s->count, 4U);
  EXPECT_TRUE(shard_spec::parse("1/1"));
  for (const char* bad : {"", "2", "0/4", "5/4", "a/4", "1/0", "1/", "/4", "1/4x", "-1/4", "1 /4"}) {
    EXPECT_FALSE(shard_spec::parse(bad)) << bad;
  }
}

TEST(Shard, Fnv1a64IsTheStandardHash) {
  // The published FNV-1a 64 test vectors.
  EXPECT_EQ(lemu::app::fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(lemu::app::fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(lemu::app::fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Shard, EveryEventHasExactlyOneShardByFileNameAndLine) {
  std::map<std::size_t, std::size_t> sizes;
  for (std::size_t line = 1; line <= 8000; ++line) {
    std::size_t owners = 0;
    for (std::size_t k = 1; k <= 4; ++k) {
      if (shard_spec{k, 4}.takes("/ci/runner-1/captures/orders.jsonl", line)) {
        ++owners;
        ++sizes[k];
        // The folder does not matter, the file name and line do.
        EXPECT_TRUE((shard_spec{k, 4}.takes("captures/orders.jsonl", line)));
      }
    }
    ASSERT_EQ(owners, 1U) << line;
  }
  for (const auto& [k, n] : sizes) EXPECT_NEAR(static_cast<double>(n), 2000.0, 200.0) << "shard " << k;
  // 1 + FNV-1a-64("orders.jsonl:1") mod 4
  const std::size_t expected = 1 + lemu::app::fnv1a_64("orders.jsonl:1") % 4;
  EXPECT_TRUE((shard_spec{expected, 4}.takes("x/orders.jsonl", 1)));
}

TEST(JsonRecord, ReadsBackWhatItWrites) {
  lemu::stats::invocation_record rec;
  rec.index = 7;
  rec.source = "captures/a.jsonl";
  rec.line = 3;
  rec.request_id = "id";
  rec.environment_id = 2;
  rec.cold = true;
  rec.init_ms = 12.5;
  rec.start_ms = 4;
  rec.duration_ms = 1.25;
  rec.billed_ms = 14;
  rec.memory_size_mb = 256;
  rec.max_memory_used_mb = 9;
  rec.status = lemu::stats::status::timeout;
  rec.error_type = "Sandbox.Timedout";
  rec.sqs = lemu::stats::sqs_batch{3, {"m2"}, ""};
  const auto c = lemu::app::to_test_case(rec, "a:3", false, false, {}, R"({"errorType":"Sandbox.Timedout"})");
  EXPECT_EQ(c.status, lemu::report::test_case::result::error);
  const auto back = lemu::app::parse_json_record(nlohmann::json::parse(lemu::app::json_record(rec, c).dump()));
  EXPECT_EQ(lemu::stats::to_json(back.record), lemu::stats::to_json(rec));
  EXPECT_EQ(back.test.name, "a:3");
  EXPECT_EQ(back.test.classname, "lemu.run.a");
  EXPECT_EQ(back.test.status, c.status);
  EXPECT_EQ(back.test.message, "Sandbox.Timedout");
  EXPECT_EQ(back.test.details, R"({"errorType":"Sandbox.Timedout"})");
  EXPECT_THROW(lemu::app::parse_json_record(nlohmann::json::parse(R"({"a":1})")), std::invalid_argument);
}
