// --concurrency and --cold through the real lemu binary: several execution environments at once (never
// more than asked), outcomes in input order whatever finishes first, one cold start per event with --cold.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <utility>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {


// The largest number of invocations running at one moment, from the records' [start, start+duration).
std::size_t max_overlap(const std::vector<json>& recs) {
  std::vector<std::pair<double, int>> edges;
  for (const auto& r : recs) {
    const double start = r["start_ms"].get<double>();
    edges.emplace_back(start, +1);
    edges.emplace_back(start + r["duration_ms"].get<double>(), -1);
  }
  std::sort(edges.begin(), edges.end()); // at equal times an end (-1) sorts before a start (+1)
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return static_cast<std::size_t>(most);
}

} // namespace

TEST(CliConcurrency, ThreeEnvironmentsRunAtOnceNeverMore) {
  scratch_dir dir;
  std::string events;
  for (int i = 0; i < 12; ++i) events += "{\"fake\":\"sleep:300\",\"i\":" + std::to_string(i) + "}\n";
  const std::string input = dir.write("events.jsonl", events);
  const std::string report = dir.path() + "/report.jsonl";
  const auto r = fake_run("by-event", {"--event", input, "--concurrency", "3", "--json", report});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = json_lines(report);
  ASSERT_EQ(recs.size(), 12u);
  EXPECT_EQ(max_overlap(recs), 3u);
  std::set<int> envs;
  for (const auto& rec : recs) envs.insert(rec["environment_id"].get<int>());
  EXPECT_EQ(envs, (std::set<int>{1, 2, 3}));
  std::size_t cold = 0;
  for (const auto& rec : recs) cold += rec["cold"].get<bool>();
  EXPECT_EQ(cold, 3u);
  // Per-environment rows follow the summary.
  EXPECT_THAT(r.err, HasSubstr("env  invocations  failed       init  warm mean   warm max  max memory\n"));
}

TEST(CliConcurrency, OutputOrderIsInputOrderWhateverFinishesFirst) {
  std::string events;
  const int sleeps[] = {400, 10, 250, 0, 120, 30, 0, 300};
  for (int i = 0; i < 8; ++i) events += "{\"fake\":\"sleep:" + std::to_string(sleeps[i]) + "\",\"i\":" + std::to_string(i) + "}\n";
  const auto r = fake_run("by-event", {"--event", "-", "--concurrency", "4"}, with_stdin(events));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(json::parse(out[static_cast<std::size_t>(i)])["i"], i);
}

TEST(CliConcurrency, FailuresInOneEnvironmentDoNotDisturbTheOthers) {
  std::string events;
  for (int i = 0; i < 20; ++i) events += i % 5 == 2 ? "{\"fake\":\"crash\"}\n" : "{\"fake\":\"sleep:20\",\"i\":" + std::to_string(i) + "}\n";
  const auto r = fake_run("by-event", {"--event", "-", "--concurrency", "2"}, with_stdin(events));
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const json o = json::parse(out[static_cast<std::size_t>(i)]);
    if (i % 5 == 2) {
      EXPECT_EQ(o["errorType"], "Runtime.ExitError");
    } else {
      EXPECT_EQ(o["i"], i);
    }
  }
  EXPECT_THAT(r.err, HasSubstr("invocations 20 · succeeded 16 · errors 0 · timeouts 0 · crashes 4"));
}

TEST(CliConcurrency, ColdGivesEveryEventItsOwnInit) {
  scratch_dir dir;
  const std::string report = dir.path() + "/report.jsonl";
  const auto r = lemu_run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "6", "--cold", "--json", report});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 6u);
  for (const auto& l : reports) EXPECT_NE(l.find("\tInit Duration: "), std::string::npos) << l;
  const auto recs = json_lines(report);
  ASSERT_EQ(recs.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(recs[i]["environment_id"], i + 1);
    EXPECT_EQ(recs[i]["cold"], true);
  }
  EXPECT_THAT(r.err, ::testing::ContainsRegex("init \\(cold\\) +6 "));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("invoke warm +0 "));
  EXPECT_THAT(r.err, HasSubstr("env  invocations")); // six rows, one per environment
}

TEST(CliConcurrency, ColdWithConcurrency) {
  const auto r = fake_run("by-event", {"--event", "-", "--cold", "--concurrency", "2"},
                          with_stdin("{\"fake\":\"sleep:100\"}\n{\"fake\":\"sleep:100\"}\n{}\n{}\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines().size(), 4u);
  std::size_t with_init = 0;
  for (const auto& l : report_lines(r)) with_init += l.find("\tInit Duration: ") != std::string::npos;
  EXPECT_EQ(with_init, 4u);
}

TEST(CliConcurrency, FixedPortCannotServeSeveralEnvironments) {
  const auto r = fake_run("echo", {"--event", sqs_event(), "--concurrency", "2", "--runtime-api-port", "9001"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: --runtime-api-port serves one environment: it cannot be combined with --concurrency above 1\n");
}

TEST(CliProgress, ProgressLineOnATerminalOnlyAndNotWithQuiet) {
  // Four events of 400 ms: the run lasts over a second, so a terminal gets the progress line.
  const std::string events = "{\"fake\":\"sleep:400\"}\n{\"fake\":\"sleep:400\"}\n{\"fake\":\"sleep:400\"}\n{\"fake\":\"sleep:400\"}\n";
  scratch_dir dir;
  const std::string input = dir.write("events.jsonl", events);
  const std::string cmd = std::string(lemu_bin) + " run " + fake_bootstrap + " --handler by-event --event " + input;
  // script(1) gives lemu a pseudo-terminal as stdout and stderr and copies what it shows to a file.
  const std::string shown = dir.path() + "/terminal.txt";
  auto r = run_command({"/usr/bin/script", "-qec", cmd + " > /dev/null", shown});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(read_file(shown), ::testing::ContainsRegex("lemu: [0-9]/4 events · [0-9]+/s · 0 failed"));
  r = run_command({"/usr/bin/script", "-qec", cmd + " --quiet > /dev/null", shown});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(read_file(shown), ::testing::Not(HasSubstr(" events · ")));
  // Not a terminal: never.
  r = run_command({lemu_bin, "run", fake_bootstrap, "--handler", "by-event", "--event", input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr(" events · ")));
}
