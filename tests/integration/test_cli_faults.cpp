// lemu under a hostile function or hostile input, through the real binary: every event gets exactly one
// outcome, lemu never hangs, and the user's files are safe. Each test is one fault found by trying
// (daemons, orphans, outputs that are inputs, a bootstrap that stops being startable, endless or huge or
// deep input, output without a newline, Ctrl-C and kill -9).

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::map<std::string, std::string> no_cgroup{{"LEMU_NO_CGROUP", "1"}};

command_options with(std::map<std::string, std::string> env, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  command_options o;
  o.env = std::move(env);
  o.deadline = deadline;
  return o;
}

std::string one_event(const scratch_dir& dir) { return dir.write("event.json", "{\"a\":1}"); }

// Every JSON Lines file line is a whole JSON value.
void expect_whole_lines(const std::string& path) {
  const std::string text = read_file(path);
  EXPECT_TRUE(text.empty() || text.back() == '\n') << path;
  for (const auto& line : split_lines(text)) EXPECT_TRUE(json::accept(line)) << path << ": " << line;
}

// A wrapper bootstrap that removes its own execute bit, then becomes the fake bootstrap: it can start once.
std::string self_disabling_bootstrap(const scratch_dir& dir) {
  const std::string path = dir.write("fn/bootstrap", "#!/bin/sh\nchmod -x \"$0\"\nexec " + std::string(fake_bootstrap) + "\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

bool is_root() { return ::geteuid() == 0; }

// What lemu may hold at most for its own work while it reads hostile input.
const long input_rss_budget_kb = rss_budget_kb(24 * 1024);

} // namespace

// ---- 1. a descendant that calls setsid() ----------------------------------------------------------------

class DaemonTest : public ::testing::TestWithParam<bool> {}; // true: without cgroups (the tree watcher)

TEST_P(DaemonTest, EndsTheInvocationAtTheRuntimesExitAndIsKilled) {
  scratch_dir dir;
  const auto r = fake_run("daemon:60000", {"--event", one_event(dir)}, with(GetParam() ? no_cgroup : std::map<std::string, std::string>{}, std::chrono::seconds(15)));
  ASSERT_FALSE(r.timed_out) << "lemu waited for the daemon: " << r.err;
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], platform_error("Runtime.ExitError", request_id_of(report_lines(r).at(0)), "Runtime exited without providing a reason"));
  const auto daemons = numbers_after(r.err, "fake-bootstrap: daemon ");
  ASSERT_EQ(daemons.size(), 1u) << r.err;
  EXPECT_TRUE(wait_until([&] { return !process_alive(daemons[0]); })) << "the daemon " << daemons[0] << " escaped";
}

TEST_P(DaemonTest, CtrlCStillStopsARunWhoseRuntimeStartedADaemon) {
  scratch_dir dir;
  command_options o = with(GetParam() ? no_cgroup : std::map<std::string, std::string>{}, std::chrono::seconds(15));
  o.signal_when_stderr_has = "fake-bootstrap: daemon ";
  o.signal_to_send = SIGINT;
  const auto r = fake_run("daemon-hang:60000", {"--event", one_event(dir), "--timeout", "60"}, o);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  const auto daemons = numbers_after(r.err, "fake-bootstrap: daemon ");
  ASSERT_EQ(daemons.size(), 1u);
  EXPECT_TRUE(wait_until([&] { return !process_alive(daemons[0]); }));
}

TEST_P(DaemonTest, KillNineOfLemuLeavesNoRuntimeAndNoDaemon) {
  scratch_dir dir;
  command_options o = with(GetParam() ? no_cgroup : std::map<std::string, std::string>{}, std::chrono::seconds(15));
  o.signal_when_stderr_has = "fake-bootstrap: daemon ";
  o.signal_to_send = SIGKILL;
  const std::string json_report = dir.path() + "/report.jsonl";
  const auto r = fake_run("daemon-hang:60000", {"--event", one_event(dir), "--timeout", "60", "--env", "FAKE_LOG_PID=1",
                                                "--json", json_report},
                          o);
  EXPECT_EQ(r.signal, SIGKILL);
  const auto runtimes = numbers_after(r.err, "fake-bootstrap: pid ");
  const auto daemons = numbers_after(r.err, "fake-bootstrap: daemon ");
  ASSERT_EQ(runtimes.size(), 1u) << r.err;
  ASSERT_EQ(daemons.size(), 1u) << r.err;
  EXPECT_TRUE(wait_until([&] { return !process_alive(runtimes[0]); })) << "the runtime outlived lemu";
  EXPECT_TRUE(wait_until([&] { return !process_alive(daemons[0]); })) << "the daemon outlived lemu";
  expect_whole_lines(json_report);
}

INSTANTIATE_TEST_SUITE_P(Containment, DaemonTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Watcher" : "Cgroup"; });

// ---- 2. an output that is also an input ------------------------------------------------------------------

TEST(OutputIsInput, EveryOutputOptionRefusesAnInputAndTouchesNothing) {
  scratch_dir dir;
  const std::string events = dir.write("same.jsonl", "{\"a\":1}\n{\"a\":2}\n");
  const std::string before = read_file(events);
  ::link(events.c_str(), (dir.path() + "/hard.jsonl").c_str());
  std::filesystem::create_symlink(events, dir.path() + "/soft.jsonl");
  for (const std::string option : {"--record", "--json", "--junit", "--html"}) {
    for (const std::string name : {"same.jsonl", "hard.jsonl", "soft.jsonl"}) {
      const auto r = lemu_run(echo_bootstrap, {"--event", events, option, dir.path() + "/" + name});
      EXPECT_EQ(r.exit_code, 2) << option << " " << name;
      EXPECT_THAT(r.err, HasSubstr("lemu: error: " + option + " " + dir.path() + "/" + name + " is also an input (--event "));
      EXPECT_EQ(split_lines(r.err).size(), 1u) << r.err;
      EXPECT_TRUE(r.out.empty());
      EXPECT_EQ(read_file(events), before) << option << " " << name;
    }
  }
}

TEST(OutputIsInput, TheBootstrapAndTwoOutputsOnOneFileAreRefused) {
  scratch_dir dir;
  const std::string events = one_event(dir);
  const std::string copy = dir.path() + "/bootstrap";
  std::filesystem::copy_file(echo_bootstrap, copy);
  const auto before = std::filesystem::file_size(copy);
  auto r = lemu_run(copy, {"--event", events, "--record", copy});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is also an input (the bootstrap "));
  EXPECT_EQ(std::filesystem::file_size(copy), before);
  r = lemu_run(echo_bootstrap, {"--event", events, "--json", dir.path() + "/out", "--junit", dir.path() + "/out"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("are the same file"));
}

TEST(OutputIsInput, ReplayDoesNotEmptyItsCapture) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/cap.jsonl";
  ASSERT_EQ(lemu_run(echo_bootstrap, {"--event", sqs_event(), "--record", capture}).exit_code, 0);
  const std::string before = read_file(capture);
  ASSERT_FALSE(before.empty());
  const auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap, "--record", capture});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is also an input (the capture "));
  EXPECT_EQ(read_file(capture), before);
}

// ---- 3. an orphaned descendant over the memory limit ------------------------------------------------------

class OrphanMemoryTest : public ::testing::TestWithParam<bool> {};

TEST_P(OrphanMemoryTest, IsCountedAndKilled) {
  if (!GetParam() && !is_root()) GTEST_SKIP() << "cgroups are made here as root";
  scratch_dir dir;
  const auto r = fake_run("orphan-alloc:600", {"--event", one_event(dir), "--memory", "128"},
                          with(GetParam() ? no_cgroup : std::map<std::string, std::string>{}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], platform_error("Runtime.OutOfMemory", request_id_of(report_lines(r).at(0)), "Runtime exited with error: signal: killed"));
  EXPECT_THAT(report_lines(r).at(0), HasSubstr("\tMax Memory Used: 128 MB\t"));
  EXPECT_THAT(r.err, HasSubstr(GetParam() ? "of 128 MB (watcher)" : "of 128 MB (cgroup v"));
  const auto orphans = numbers_after(r.err, "fake-bootstrap: orphan ");
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_TRUE(wait_until([&] { return !process_alive(orphans[0]); }));
}

INSTANTIATE_TEST_SUITE_P(Containment, OrphanMemoryTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Watcher" : "Cgroup"; });

// ---- 4. a bootstrap that cannot be started mid-run --------------------------------------------------------

TEST(UnstartableBootstrap, EveryColdEventStillGetsItsOutcomeAndTheSummary) {
  scratch_dir dir;
  const std::string bootstrap = self_disabling_bootstrap(dir);
  // The bootstrap makes itself unstartable on the host (chmod -x): outside the sandbox, where it can.
  const auto r = lemu_run(bootstrap, {"--no-sandbox", "--event", one_event(dir), "--cold", "--repeat", "3", "--handler", "echo"},
                          with({}, std::chrono::seconds(20)));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 3u) << "stdout holds exactly one JSON line per event: " << r.out;
  EXPECT_EQ(out[0], "{\"a\":1}");
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 3u);
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(out[i], platform_error("Runtime.InvalidEntrypoint", request_id_of(reports[i]),
                                     "Couldn't find valid bootstrap(s): [" + bootstrap + "]"));
  }
  EXPECT_THAT(r.err, HasSubstr("lemu: cannot start " + bootstrap + ": not executable (chmod +x it)\n"));
  EXPECT_THAT(r.err, HasSubstr("invocations 3 · succeeded 1 · errors 0 · timeouts 0 · crashes 2"));
  EXPECT_THAT(r.out, Not(HasSubstr("lemu:")));
}

TEST(UnstartableBootstrap, AWarmRunWhoseRuntimeDiesGoesOnToTheLastEvent) {
  scratch_dir dir;
  const std::string bootstrap = self_disabling_bootstrap(dir);
  const auto r = lemu_run(bootstrap, {"--no-sandbox", "--event", one_event(dir), "--repeat", "10", "--handler", "exit:3"}, with({}, std::chrono::seconds(20)));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 10u) << r.out;
  EXPECT_THAT(out[0], HasSubstr("Runtime exited with error: exit status 3"));
  for (std::size_t i = 1; i < 10; ++i) EXPECT_THAT(out[i], HasSubstr("\"errorType\":\"Runtime.InvalidEntrypoint\""));
  EXPECT_THAT(r.err, HasSubstr("invocations 10 · succeeded 0"));
}

TEST(UnstartableBootstrap, AMissingInterpreterIsNamed) {
  scratch_dir dir;
  const std::string path = dir.write("fn/bootstrap", "#!/no/such/interpreter\necho never\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  const auto r = lemu_run(path, {"--event", one_event(dir)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [" + path +
                       "]: its interpreter /no/such/interpreter (from its #! line) does not exist\n");
}

// ---- 5, 6, 7. endless, huge, NUL-carrying and deep input ----------------------------------------------------

TEST(HostileInput, AnEndlessDeviceStopsAtItsFirstByte) {
  const auto r = lemu_run(echo_bootstrap, {"--event", "/dev/zero"}, with({}, std::chrono::seconds(10)));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: /dev/zero:1:1: invalid JSON: a NUL byte, which is never valid in JSON text\n");
  EXPECT_LT(r.max_rss_kb, input_rss_budget_kb);
}

// Writes `head`, then `count` spaces, then `tail`, without holding them (the test's own memory stays small:
// it is lemu's that is measured, and a command starts as a copy of this process).
std::string write_padded(const scratch_dir& dir, const std::string& name, const std::string& head, std::size_t count,
                         const std::string& tail) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f << head;
  const std::string chunk(1u << 20, ' ');
  for (std::size_t done = 0; done < count; done += chunk.size()) f.write(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), count - done)));
  f << tail;
  return path;
}

TEST(HostileInput, HugeEventsAreRejectedWithoutBeingHeld) {
  scratch_dir dir;
  // 100 MB of (valid) whitespace inside a value.
  const std::string document = write_padded(dir, "big.json", "[", 100u << 20, "]");
  const std::string lines = write_padded(dir, "big.jsonl", "{\"n\":1}\n[", 100u << 20, "]\n{\"n\":3}\n");
  for (const auto& file : {document, lines}) {
    const auto r = lemu_run(echo_bootstrap, {"--event", file});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.out, HasSubstr(R"({"errorMessage":"Request must be smaller than 6291456 bytes for the InvokeFunction operation","errorType":"RequestTooLargeException"})"));
    EXPECT_THAT(r.err, HasSubstr(" is 104857602 bytes, over Lambda's 6291456-byte limit: not sent"));
    EXPECT_LT(r.max_rss_kb, input_rss_budget_kb) << file;
  }
  const auto r = lemu_run(echo_bootstrap, {"--event", lines});
  EXPECT_EQ(r.out_lines().size(), 3u);
  EXPECT_EQ(r.out_lines().front(), "{\"n\":1}");
  EXPECT_EQ(r.out_lines().back(), "{\"n\":3}");
}

TEST(HostileInput, ANulByteIsInvalidJsonWherever) {
  scratch_dir dir;
  const std::string text = std::string("{\"a\":1}") + '\0' + "}}} not json";
  auto r = lemu_run(echo_bootstrap, {"--event", dir.write("nul.json", text)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + dir.path() + "/nul.json:1:8: invalid JSON: a NUL byte, which is never valid in JSON text\n");
  r = lemu_run(echo_bootstrap, {"--event", dir.write("nul.jsonl", "{}\n" + text + "\n")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + dir.path() + "/nul.jsonl:2:8: invalid JSON: a NUL byte, which is never valid in JSON text\n");
  r = lemu_run(echo_bootstrap, {"--event", "-"}, with_stdin(text));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: -:1:8: invalid JSON: a NUL byte, which is never valid in JSON text\n");
}

TEST(HostileInput, OneDepthLimitForInputValidationAndOutput) {
  scratch_dir dir;
  const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto r = lemu_run(echo_bootstrap, {"--event", dir.write("deep.json", nested(300000)), "--record", dir.path() + "/rec.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + dir.path() + "/deep.json:1:1001: invalid JSON: nested deeper than 1000 levels\n");
  // At the limit it is an event like any other: echoed back as JSON (not as a string), and recorded.
  const std::string capture = dir.path() + "/ok.jsonl";
  r = lemu_run(echo_bootstrap, {"--event", dir.write("limit.json", nested(1000)), "--record", capture});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, nested(1000) + "\n");
  expect_whole_lines(capture);
  EXPECT_EQ(run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap}).exit_code, 0);
}

// ---- 8. output without a final newline --------------------------------------------------------------------

TEST(PartialLines, ArePrintedBeforeTheEndOfTheirOwnInvocation) {
  scratch_dir dir;
  const auto r = fake_run("partial", {"--event", one_event(dir), "--repeat", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto lines = r.err_lines();
  const auto first_end = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("END ", 0) == 0; });
  ASSERT_NE(first_end, lines.end());
  EXPECT_EQ(std::count(lines.begin(), first_end, "STDOUT-PARTIAL"), 1);
  EXPECT_EQ(std::count(lines.begin(), first_end, "STDERR-PARTIAL"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "STDOUT-PARTIAL"), 2);
  for (const auto& l : lines) EXPECT_THAT(l, Not(::testing::StartsWith("STDOUT-PARTIALEND"))) << "a partial line ran into END";
}

// ---- 9. interrupted runs and what they leave on disk ------------------------------------------------------

TEST(InterruptedRecords, CtrlCRecordsOnlyWhatRan) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/cap.jsonl", report = dir.path() + "/report.jsonl";
  command_options o;
  o.stdin_text = "{\"n\":1}\n{\"fake\":\"hang\"}\n{\"n\":3}\n";
  // Interrupt once the second invocation (the hang) started.
  o.signal_when_stderr_has = "START RequestId: ";
  o.signal_at_occurrence = 2;
  o.signal_to_send = SIGINT;
  const auto r = fake_run("by-event", {"--event", "-", "--timeout", "60", "--record", capture, "--json", report}, o);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_EQ(r.out_lines(), std::vector<std::string>{"{\"n\":1}"});
  EXPECT_EQ(split_lines(read_file(capture)).size(), 1u);
  EXPECT_EQ(split_lines(read_file(report)).size(), 1u);
  expect_whole_lines(capture);
  EXPECT_THAT(r.err, HasSubstr("invocations 1 · succeeded 1 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
}

TEST(InterruptedRecords, ReplayOfACaptureCutByAKillSkipsTheCutLine) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/cap.jsonl";
  ASSERT_EQ(lemu_run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "3", "--record", capture}).exit_code, 0);
  std::string text = read_file(capture);
  text.resize(text.size() - text.size() / 6); // the last line loses its end, as a writer killed mid-line leaves it
  const std::string cut = dir.write("cut.jsonl", text);
  const auto r = run_command({lemu_bin, "replay", cut, "--bootstrap", echo_bootstrap});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines().size(), 2u);
  EXPECT_THAT(r.err, HasSubstr("lemu: warning: " + cut + ":3: the last line is cut short (no line end, not valid JSON: the writer was probably killed): skipped"));
}

// ---- 10. smaller gaps -------------------------------------------------------------------------------------

TEST(SmallerGaps, ARetriedInitThatTimesOutPrintsStartBeforeEnd) {
  scratch_dir dir;
  const auto r = fake_run("init-sleep:5000", {"--event", one_event(dir), "--init-timeout", "0.2", "--timeout", "0.5"});
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = r.err_lines();
  const auto at = [&](const std::string& prefix) {
    return std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }) - lines.begin();
  };
  EXPECT_EQ(count_prefix(lines, "START RequestId: "), 1u) << r.err;
  EXPECT_LT(at("INIT_REPORT Init Duration: "), at("START RequestId: "));
  EXPECT_LT(at("START RequestId: "), at("END RequestId: "));
  EXPECT_LT(at("END RequestId: "), at("REPORT RequestId: "));
  EXPECT_THAT(r.out, HasSubstr("\"errorType\":\"Sandbox.Timedout\""));
}

TEST(SmallerGaps, EnvironmentNamesFollowLambdasRules) {
  scratch_dir dir;
  for (const std::string bad : {"1BAD=x", "A-B=x", "_X=1", "X=1"}) {
    const auto r = fake_run("env", {"--event", one_event(dir), "--env", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("Lambda allows a letter, then letters, digits and _ (two characters at least)")) << bad;
  }
  auto r = fake_run("env", {"--event", one_event(dir), "--env", "AWS_LAMBDA_FUNCTION_NAME=x"});
  EXPECT_EQ(r.err, "lemu: error: AWS_LAMBDA_FUNCTION_NAME is reserved by Lambda and cannot be set\n");
  // Not reserved, so Lambda lets a function set it (AWS_LAMBDA_EXEC_WRAPPER is the common one).
  r = fake_run("env", {"--event", one_event(dir), "--env", "AWS_LAMBDA_RUNTIME_FOO=1", "--env", "AWS_LAMBDA_EXEC_WRAPPER=/w"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json env = json::parse(r.out)["env"];
  EXPECT_EQ(env["AWS_LAMBDA_RUNTIME_FOO"], "1");
  EXPECT_EQ(env["AWS_LAMBDA_EXEC_WRAPPER"], "/w");
}

TEST(SmallerGaps, ACaptureIsJsonLinesWhateverItsName) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/golden.json";
  ASSERT_EQ(lemu_run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "2", "--record", capture}).exit_code, 0);
  const auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines().size(), 2u);
}

TEST(SmallerGaps, TheCaptureSchemaIsEnforcedOnRead) {
  scratch_dir dir;
  const std::string capture = dir.write("cap.jsonl", "{\"event\":{},\"response\":{},\"error\":{}}\n");
  const auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + capture + ":1: not a capture record: both \"response\" and \"error\"\n");
}

TEST(SmallerGaps, ResponsesThatAreNotUtf8AreComparedByteForByte) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/cap.jsonl";
  ASSERT_EQ(fake_run("raw", {"--event", one_event(dir), "--env", "FAKE_RAW_HEX=ff00fe41", "--record", capture}).exit_code, 0);
  EXPECT_THAT(read_file(capture), HasSubstr("\"encoding\":\"base64\""));
  const auto replay = [&](const std::string& hex) {
    return run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--handler", "raw", "--env", "FAKE_RAW_HEX=" + hex});
  };
  EXPECT_EQ(replay("ff00fe41").exit_code, 0);
  EXPECT_EQ(replay("ff00fd41").exit_code, 1); // one byte differs, though both read as the same replacement text
}

TEST(SmallerGaps, IntegersBeyond64BitsCompareExactly) {
  scratch_dir dir;
  const std::string event = dir.write("big.json", "{\"id\":18446744073709551617}");
  const std::string capture = dir.path() + "/cap.jsonl";
  auto r = lemu_run(echo_bootstrap, {"--event", event, "--record", capture});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"id\":18446744073709551617}\n");
  EXPECT_EQ(run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap}).exit_code, 0);
  std::string text = read_file(capture);
  const auto at = text.find("\"response\":{\"id\":18446744073709551617}");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at + 36, 1, "6"); // ...616: one less, the same as a double
  std::ofstream(capture, std::ios::trunc) << text;
  r = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("- 18446744073709551616\n    + 18446744073709551617"));
}

TEST(SmallerGaps, UpdateKeepsTheCapturesModeAndItsSymlink) {
  scratch_dir dir;
  const std::string real = dir.path() + "/real.jsonl", link = dir.path() + "/link.jsonl";
  ASSERT_EQ(fake_run("tagged", {"--event", sqs_event(), "--env", "FAKE_TAG=v1", "--record", real}).exit_code, 0);
  ::chmod(real.c_str(), 0600);
  std::filesystem::create_symlink(real, link);
  const auto r = run_command({lemu_bin, "replay", link, "--bootstrap", fake_bootstrap, "--handler", "tagged", "--env",
                              "FAKE_TAG=v2", "--update"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  struct stat st {};
  ASSERT_EQ(::stat(real.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THAT(read_file(real), HasSubstr("\"tag\":\"v2\""));
}
