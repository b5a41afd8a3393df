// A Node.js function run through AWS's own runtime interface client (aws-lambda-ric from npm, installed
// by scripts/setup.sh): it must echo events through `lemu run`, and its thrown error must come back as
// its error body.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace lemu::test;
using nlohmann::json;

namespace {

std::string node_bootstrap() { return std::string(node_function_dir) + "/bootstrap"; }

void require_ric() {
  ASSERT_TRUE(std::filesystem::exists(std::string(node_function_dir) + "/node_modules/aws-lambda-ric/index.mjs"))
      << "aws-lambda-ric is not installed: run scripts/setup.sh";
}

} // namespace

TEST(NodeRic, EchoesEventsWarm) {
  require_ric();
  const auto r = lemu_run(node_bootstrap(), {"--event", sqs_event(), "--repeat", "5", "--timeout", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 5u);
  for (const auto& l : out) EXPECT_EQ(json::parse(l), json::parse(read_file(sqs_event())));
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 5u);
  EXPECT_NE(reports[0].find("\tInit Duration: "), std::string::npos);
  for (std::size_t i = 1; i < 5; ++i) EXPECT_EQ(reports[i].find("Init Duration"), std::string::npos) << reports[i];
}

TEST(NodeRic, ThrownErrorIsTheErrorBody) {
  require_ric();
  const auto r = lemu_run(node_bootstrap(), {"--event", "-", "--timeout", "20"},
                          with_stdin("{\"throw\":\"boom from node\"}\n{\"ok\":true}\n"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 2u);
  const json err = json::parse(out[0]);
  // node-ric's error shape (PROTOCOL.md §8.6): errorType, errorMessage, trace.
  EXPECT_EQ(err["errorType"], "Error");
  EXPECT_EQ(err["errorMessage"], "boom from node");
  EXPECT_TRUE(err["trace"].is_array());
  EXPECT_EQ(json::parse(out[1]), json::parse("{\"ok\":true}"));
  // The handled error keeps the environment: one init for both events.
  EXPECT_EQ(report_lines(r).size(), 2u);
  EXPECT_THAT(r.err, ::testing::HasSubstr("invocations 2 · succeeded 1 · errors 1"));
}
