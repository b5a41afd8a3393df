// lemu replay --shard K/N and lemu report merge, through the real binary: 4 shards of a 10,000-event
// capture run every event exactly once, and their merged records give the unsharded run's counts, a
// summary computed from every shard's durations, and one valid JUnit file. And the CI examples
// (docker/ci/*.yml) parse, and their lemu commands work as written.

#include "integration/cli_fixture.hpp"

#include <lemu/app/test_outcome.hpp>
#include <lemu/stats/summary.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace lemu::test;
using ::testing::HasSubstr;
using nlohmann::json;

namespace {

// A capture of `n` events {"n":i} whose recorded response is the event (the echo function's answer),
// except every `wrong_every`-th, recorded with another response (a mismatch on replay).
std::string write_capture(const scratch_dir& dir, std::size_t n, std::size_t wrong_every) {
  std::string text;
  for (std::size_t i = 1; i <= n; ++i) {
    const std::string event = R"({"n":)" + std::to_string(i) + "}";
    const std::string response = wrong_every && i % wrong_every == 0 ? R"({"n":-1})" : event;
    text += R"({"event":)" + event + R"(,"response":)" + response + "}\n";
  }
  return dir.write("captures/orders.jsonl", text);
}


// tests="N" failures="N" errors="N" of a JUnit document.
std::string junit_counts(const std::string& xml) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(xml, m, std::regex(R"re(tests="\d+" failures="\d+" errors="\d+")re"))) << xml.substr(0, 300);
  return m.str();
}

void expect_valid_junit(const std::string& path) {
  const auto r = run_command({"xmllint", "--noout", "--schema", std::string(test_data_dir) + "/junit/JUnit.xsd", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

} // namespace

TEST(Shard, FourShardsRunEveryEventOnceAndTheMergeEqualsTheWholeRun) {
  scratch_dir dir;
  const std::size_t n = 10000;
  const std::string capture = write_capture(dir, n, 100);
  command_options o;
  o.deadline = std::chrono::minutes(5);

  std::set<std::size_t> seen;
  std::vector<std::string> shard_files;
  std::vector<lemu::app::parsed_record> union_records;
  for (int k = 1; k <= 4; ++k) {
    const std::string records = dir.path() + "/shard-" + std::to_string(k) + ".jsonl";
    const auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap, "--shard",
                                std::to_string(k) + "/4", "--json", records, "--quiet"},
                               o);
    EXPECT_EQ(r.exit_code, 1) << "each shard holds some of the 100 mismatches: " << r.err.substr(0, 2000);
    const auto recs = json_lines(records);
    EXPECT_NEAR(static_cast<double>(recs.size()), n / 4.0, n / 40.0) << "shards are even (by event)";
    for (const auto& rec : recs) {
      EXPECT_TRUE(seen.insert(rec["line"].get<std::size_t>()).second) << "line " << rec["line"] << " ran twice";
      union_records.push_back(lemu::app::parse_json_record(rec));
    }
    shard_files.push_back(records);
  }
  EXPECT_EQ(seen.size(), n) << "every event ran";

  // The whole run, unsharded.
  const auto whole = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap, "--junit",
                                  dir.path() + "/whole.xml", "--quiet"},
                                 o);
  EXPECT_EQ(whole.exit_code, 1);
  EXPECT_THAT(whole.err, HasSubstr("invocations 10000 · succeeded 10000"));

  std::vector<std::string> merge{lemu_bin, "report", "merge"};
  merge.insert(merge.end(), shard_files.rbegin(), shard_files.rend()); // any order
  merge.insert(merge.end(), {"--junit", dir.path() + "/merged.xml", "--html", dir.path() + "/merged.html", "--json",
                             dir.path() + "/merged.jsonl"});
  const auto merged = run_command(merge, o);
  EXPECT_EQ(merged.exit_code, 1) << "100 events differ from the capture: " << merged.err;
  EXPECT_EQ(merged.out, "") << "stdout is for data; the summary goes to stderr";
  EXPECT_THAT(merged.err, HasSubstr("invocations 10000 · succeeded 10000"));
  EXPECT_THAT(merged.err, HasSubstr("lemu: report: 10000 records from 4 files; 9900 passed, 100 failed or errored"));
  // The summary is computed from every shard's durations (not from each shard's percentiles).
  lemu::stats::run_summary expected(128);
  for (const auto& p : union_records) expected.add(p.record);
  EXPECT_THAT(merged.err, HasSubstr(expected.render_table()));

  const std::string merged_xml = read_file(dir.path() + "/merged.xml");
  EXPECT_EQ(junit_counts(merged_xml), junit_counts(read_file(dir.path() + "/whole.xml")));
  EXPECT_EQ(junit_counts(merged_xml), R"(tests="10000" failures="100" errors="0")");
  expect_valid_junit(dir.path() + "/merged.xml");
  EXPECT_THAT(read_file(dir.path() + "/merged.html"), HasSubstr("invocations 10000"));
  // The merged records are in the order of the capture.
  const auto all = json_lines(dir.path() + "/merged.jsonl");
  ASSERT_EQ(all.size(), n);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(all[i]["line"], i + 1);
}

TEST(Shard, BadSpecsAndBadRecordsAreUsageErrors) {
  scratch_dir dir;
  const std::string capture = write_capture(dir, 3, 0);
  auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap, "--shard", "5/4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: --shard: expected K/N with 1 <= K <= N, got '5/4'\n");
  const std::string bad = dir.write("bad.jsonl", "{\"status\":\"success\",\"duration_ms\":1}\nnot json\n");
  r = run_command({lemu_bin, "report", "merge", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lemu: error: " + bad + ":2: "));
  r = run_command({lemu_bin, "report", "merge", dir.path() + "/missing.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
}

// --- the CI examples ---------------------------------------------------------------------------------------

namespace {

json load_yaml(const std::string& path) {
  // Debian's python3-yaml (scripts/setup.sh installs it): YAML to JSON.
  const auto r = run_command({"/usr/bin/python3", "-c",
                              "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

// The lemu arguments of a `docker run ... lemu ARGS` line, with the container's /var/task as `dir`.
std::vector<std::string> lemu_args(std::string line, const std::string& dir,
                                   const std::map<std::string, std::string>& variables) {
  for (const auto& [name, value] : variables) {
    for (auto at = line.find(name); at != std::string::npos; at = line.find(name, at)) line.replace(at, name.size(), value);
  }
  const auto at = line.find(" lemu ");
  EXPECT_NE(at, std::string::npos) << line;
  std::vector<std::string> args{lemu_bin};
  std::istringstream words(line.substr(at + 6));
  for (std::string w; words >> w;) args.push_back(std::regex_replace(w, std::regex("^/var/task"), dir));
  return args;
}

// Runs the example's commands (4 shards, then the merge) on a small capture, as a CI run would.
void run_example(const std::vector<std::string>& replay_lines, const std::string& merge_line,
                 const std::function<std::map<std::string, std::string>(int)>& variables) {
  scratch_dir dir;
  write_capture(dir, 200, 0);
  std::filesystem::create_directories(dir.path() + "/function");
  std::filesystem::copy_file(echo_bootstrap, dir.path() + "/function/bootstrap");
  ASSERT_EQ(replay_lines.size(), 1U);
  for (int k = 1; k <= 4; ++k) {
    const auto r = run_command(lemu_args(replay_lines.front(), dir.path(), variables(k)));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  const auto r = run_command(lemu_args(merge_line, dir.path(), {}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(junit_counts(read_file(dir.path() + "/junit.xml")), R"(tests="200" failures="0" errors="0")");
  expect_valid_junit(dir.path() + "/junit.xml");
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/lemu-report.html"));
}

std::vector<std::string> lines_with(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(text)) {
    if (line.find(what) != std::string::npos) out.push_back(line);
  }
  return out;
}

} // namespace

TEST(CiExamples, GitHubActionsMatrixOfShardsThenAMergeJob) {
  const std::string path = std::string(source_dir) + "/docker/ci/github-actions.yml";
  const json w = load_yaml(path);
  const json& jobs = w.at("jobs");
  EXPECT_EQ(jobs.at("replay").at("strategy").at("matrix").at("shard"), json::parse("[1,2,3,4]"));
  EXPECT_EQ(jobs.at("merge").at("needs"), "replay");
  std::string replay_run, merge_run;
  for (const auto& step : jobs.at("replay").at("steps")) {
    if (step.contains("run") && step["run"].get<std::string>().find("lemu replay") != std::string::npos) {
      replay_run = step["run"];
    }
  }
  for (const auto& step : jobs.at("merge").at("steps")) {
    if (step.contains("run") && step["run"].get<std::string>().find("lemu report merge") != std::string::npos) {
      merge_run = step["run"];
    }
  }
  ASSERT_THAT(replay_run, HasSubstr("--shard ${{ matrix.shard }}/4"));
  ASSERT_FALSE(merge_run.empty());
  run_example(lines_with(replay_run, " lemu replay "), lines_with(merge_run, " lemu report merge ").at(0),
              [](int k) { return std::map<std::string, std::string>{{"${{ matrix.shard }}", std::to_string(k)}}; });
}

TEST(CiExamples, GitLabParallelJobsThenAMergeJob) {
  const std::string path = std::string(source_dir) + "/docker/ci/gitlab-ci.yml";
  const json c = load_yaml(path);
  EXPECT_EQ(c.at("replay").at("parallel"), 4);
  EXPECT_EQ(c.at("merge").at("needs"), json::parse(R"(["replay"])"));
  EXPECT_EQ(c.at("merge").at("artifacts").at("reports").at("junit"), "junit.xml");
  const std::string replay = c.at("replay").at("script").at(0), merge = c.at("merge").at("script").at(0);
  ASSERT_THAT(replay, HasSubstr("--shard $CI_NODE_INDEX/$CI_NODE_TOTAL"));
  run_example({replay}, merge, [](int k) {
    return std::map<std::string, std::string>{{"$CI_NODE_INDEX", std::to_string(k)}, {"$CI_NODE_TOTAL", "4"}};
  });
}
