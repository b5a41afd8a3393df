// Captures and replay through the real lemu binary: record a run, replay it unchanged (exit 0), change
// the function through --env (exit 1, a diff naming the changed path), --update, replay again (exit 0);
// --ignore; JUnit validated against the JUnit XSD with xmllint; the HTML report.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

command_result replay(const std::string& capture, const std::string& tag, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--handler", "tagged",
                                "--env", "FAKE_TAG=" + tag};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv);
}

std::string record(const scratch_dir& dir, const std::string& tag) {
  const std::string capture = dir.path() + "/capture.jsonl";
  const auto r = fake_run("tagged", {"--env", "FAKE_TAG=" + tag, "--event", std::string(events_dir) + "/sqs/batch.json",
                                     "--event", std::string(events_dir) + "/apigw-http/get.json", "--record", capture});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return capture;
}

} // namespace

TEST(CliReplay, RecordReplayChangeUpdateReplay) {
  scratch_dir dir;
  const std::string capture = record(dir, "v1");
  const auto lines = split_lines(read_file(capture));
  ASSERT_EQ(lines.size(), 2u);
  const json first = json::parse(lines[0]);
  EXPECT_EQ(first["event"], json::parse(read_file(std::string(events_dir) + "/sqs/batch.json")));
  EXPECT_EQ(first["response"]["tag"], "v1");
  EXPECT_EQ(first["meta"]["status"], "success");
  EXPECT_EQ(first["meta"]["source"], std::string(events_dir) + "/sqs/batch.json");

  auto r = replay(capture, "v1");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = replay(capture, "v2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: " + capture + ":1 (" + events_dir + "/sqs/batch.json): the outcome differs from the capture:\n  $.response.tag: changed\n    - \"v1\"\n    + \"v2\"\n"));
  EXPECT_THAT(r.err, HasSubstr("$.response.tag"));
  EXPECT_THAT(r.err, HasSubstr("\"v1\""));
  EXPECT_THAT(r.err, HasSubstr("\"v2\""));
  EXPECT_THAT(r.err, HasSubstr("lemu: replay: 2 of 2 outcomes differ from the capture"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("\033["))) << "no colour when stderr is not a terminal";

  r = replay(capture, "v2", {"--ignore", "$.response.tag"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = replay(capture, "v2", {"--ignore", "/response/tag"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = replay(capture, "v2", {"--update"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lemu: updated " + capture));
  const json updated = json::parse(split_lines(read_file(capture))[0]);
  EXPECT_EQ(updated["response"]["tag"], "v2");
  EXPECT_EQ(updated["event"], first["event"]);

  r = replay(capture, "v2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliReplay, RecordedErrorsMatchWhateverTheRequestId) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/errors.jsonl";
  auto r = fake_run("by-event", {"--event", "-", "--timeout", "0.2", "--record", capture},
                    with_stdin("{\"fake\":\"exit:3\"}\n{\"fake\":\"hang\"}\n{\"fake\":\"error\"}\n"));
  EXPECT_EQ(r.exit_code, 1);
  r = run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--handler", "by-event", "--timeout", "0.2"});
  EXPECT_EQ(r.exit_code, 0) << "recorded failures that happen again are matches: " << r.err;
  const json line = json::parse(split_lines(read_file(capture))[1]);
  EXPECT_EQ(line["error"]["errorType"], "Sandbox.Timedout");
  EXPECT_EQ(line["meta"]["status"], "timeout");
}

TEST(CliReplay, JunitValidatesAgainstTheJunitXsd) {
  scratch_dir dir;
  const std::string capture = record(dir, "v1");
  const std::string junit = dir.path() + "/junit.xml";
  const auto r = replay(capture, "v2", {"--junit", junit});
  EXPECT_EQ(r.exit_code, 1);
  const auto xml = read_file(junit);
  EXPECT_THAT(xml, HasSubstr("<testcase"));
  EXPECT_THAT(xml, HasSubstr("$.response.tag"));
  const auto check = run_command({"xmllint", "--noout", "--schema", std::string(test_data_dir) + "/junit/JUnit.xsd", junit});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST(CliReplay, HtmlReportIsSelfContained) {
  scratch_dir dir;
  const std::string html = dir.path() + "/report.html";
  const auto r = fake_run("by-event", {"--event", "-", "--concurrency", "2", "--html", html},
                          with_stdin("{\"fake\":\"sleep:20\"}\n{\"fake\":\"error\"}\n{}\n{\"fake\":\"crash\"}\n{}\n"));
  EXPECT_EQ(r.exit_code, 1);
  const auto page = read_file(html);
  EXPECT_THAT(page, HasSubstr("<svg"));
  EXPECT_THAT(page, HasSubstr("FakeError"));
  EXPECT_THAT(page, ::testing::Not(::testing::ContainsRegex("(src|href)=\"https?://")));
}

TEST(CliReplay, BadCapturesAreExitTwoBeforeAnythingRuns) {
  scratch_dir dir;
  const std::string capture = dir.write("bad.jsonl", "{\"event\":{}}\n{\"meta\":{}}\n");
  auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + capture + ":2: not a capture record: no \"event\"\n");
  const std::string good = dir.write("good.jsonl", "{\"event\":{}}\n");
  r = run_command({lemu_bin, "replay", good, "--bootstrap", fake_bootstrap, "--ignore", "$.a[x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::StartsWith("lemu: error: --ignore $.a[x: "));
}
