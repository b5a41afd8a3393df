// What `lemu replay` tells a person: "N of N outcomes match", each mismatch named by capture line and
// meta.name, a recorded failure that fails again shown as a match (and the summary line saying why the
// failures it counts do not fail the replay), and unique JUnit names under --repeat.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

command_result replay(const std::string& capture, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--handler", "by-event"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv);
}

// Records `events` (JSON Lines) as dir/c.jsonl with lemu run --record (which exits `record_exit`), then
// replays it: the replay exits 0 either way.
struct recorded {
  std::string events, capture;
  int record_exit = -1;
  command_result replayed;
};
recorded record_and_replay(const scratch_dir& dir, const std::string& events, int record_exit) {
  recorded r{dir.write("e.jsonl", events), dir.path() + "/c.jsonl", -1, {}};
  r.record_exit = fake_run("by-event", {"--event", r.events, "--record", r.capture}).exit_code;
  EXPECT_EQ(r.record_exit, record_exit);
  r.replayed = replay(r.capture);
  EXPECT_EQ(r.replayed.exit_code, 0) << r.replayed.err;
  return r;
}

} // namespace

TEST(CliReplayFeedback, PassingReplaySaysHowManyMatch) {
  scratch_dir dir;
  const recorded rec = record_and_replay(dir, "{\"n\":1}\n{\"n\":2}\n", 0);
  EXPECT_THAT(rec.replayed.err, HasSubstr("lemu: replay: 2 of 2 outcomes match\n"));
}

TEST(CliReplayFeedback, RecordedFailureThatFailsAgainIsAMatch) {
  scratch_dir dir;
  const recorded rec = record_and_replay(dir, "{\"n\":1}\n{\"fake\":\"error\"}\n", 1);
  const auto& r = rec.replayed;
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: " + rec.capture + ":2 (" + rec.events + ":2): matched (recorded failure)\n"));
  EXPECT_THAT(r.err, HasSubstr("errors 1")); // the summary counts the failure...
  // ... and the last line says why it does not fail the replay.
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: 2 of 2 outcomes match (1 is a recorded failure that failed the same way: "
                               "counted as failed above, and a match)\n"));
}

TEST(CliReplayFeedback, MismatchesNameEachEventAndTheSummarySaysWhy) {
  scratch_dir dir;
  const std::string capture = dir.write(
      "c.jsonl", R"({"event":{"n":1},"response":{"n":1}})" "\n"
                 R"({"event":{"n":2},"response":{"n":3},"meta":{"name":"orders"}})" "\n"
                 R"({"event":{"fake":"error"}})" "\n");
  const auto r = replay(capture);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr(capture + ":1: the outcome differs")));
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: " + capture + ":2 (orders): the outcome differs from the capture:\n"));
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: " + capture +
                               ":3: failed (error), and the capture records no outcome: expected to succeed\n"));
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: 2 of 3 outcomes differ from the capture (1 match): exit 1\n"));
}

TEST(CliReplayFeedback, RepeatedJUnitCasesGetUniqueNames) {
  scratch_dir dir;
  const std::string events = dir.write("e.jsonl", "{\"n\":1}\n{\"n\":2}\n");
  const std::string junit = dir.path() + "/j.xml";
  ASSERT_EQ(fake_run("by-event", {"--event", events, "--repeat", "3", "--junit", junit}).exit_code, 0);
  const std::string xml = read_file(junit);
  const std::regex name_re("<testcase name=\"([^\"]*)\"");
  std::set<std::string> names;
  std::size_t cases = 0;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), name_re); it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
    ++cases;
  }
  EXPECT_EQ(cases, 6u) << xml;
  EXPECT_EQ(names.size(), 6u) << xml;
  EXPECT_TRUE(names.count(events + ":1")) << xml;
  EXPECT_TRUE(names.count(events + ":1 #2")) << xml;
  EXPECT_TRUE(names.count(events + ":2 #3")) << xml;
}
