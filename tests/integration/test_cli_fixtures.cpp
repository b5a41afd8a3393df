// Every real event fixture (written by AWS's and others' runtime libraries, not by us) goes through
// `lemu run` with the C++ echo sample and comes back as the same JSON value.

#include "integration/cli_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

using namespace lemu::test;
using nlohmann::json;

TEST(CliFixtures, EveryFixtureEventEchoesBackIdentical) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(fixtures_dir) + "/events")) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 70u) << "fixtures not found under " << fixtures_dir;

  std::vector<std::string> args;
  for (const auto& f : files) {
    args.push_back("--event");
    args.push_back(f);
  }
  const auto r = lemu_run(echo_bootstrap, args);
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(json::parse(out[i]), json::parse(read_file(files[i]))) << files[i];
  }
  EXPECT_EQ(report_lines(r).size(), files.size());
}
