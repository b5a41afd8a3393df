// Every way a function can fail, through the real `lemu` binary: exactly one outcome per event, Lambda's
// exact payloads and REPORT fields, and no process of the function left behind.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <set>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

// The pids that fake-bootstrap announced with FAKE_LOG_PID, i.e. the process groups of its runtimes.
std::set<int> runtime_pids(const command_result& r) {
  std::set<int> pids;
  const std::regex re("^fake-bootstrap: pid ([0-9]+)$");
  for (const auto& l : r.err_lines()) {
    std::smatch m;
    if (std::regex_match(l, m, re)) pids.insert(std::stoi(m[1]));
  }
  return pids;
}

// Every process of these groups is gone (SIGKILL is delivered at once, but a killed process takes a moment to
// exit: each group gets a few seconds to empty).
void expect_no_survivors(const std::set<int>& groups) {
  for (int g : groups) {
    wait_until([&] { return processes_in_group(g).empty(); }, std::chrono::seconds(5));
    EXPECT_THAT(processes_in_group(g), ::testing::IsEmpty()) << "process group " << g;
  }
}

} // namespace

TEST(CliFailures, MixedRunOf200GivesEveryEventOneOutcomeInOrder) {
  std::string events;
  const char* modes[] = {"echo", "crash", "hang", "error"};
  for (int i = 0; i < 200; ++i) events += "{\"fake\":\"" + std::string(modes[i % 4]) + "\",\"i\":" + std::to_string(i) + "}\n";
  command_options o = with_stdin(events);
  o.deadline = std::chrono::seconds(120);
  const auto r = fake_run("by-event", {"--event", "-", "--timeout", "0.2", "--env", "FAKE_LOG_PID=1"}, o);
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 200u);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    const std::string id = request_id_of(reports[static_cast<std::size_t>(i)]);
    const std::string& line = out[static_cast<std::size_t>(i)];
    switch (i % 4) {
    case 0: EXPECT_EQ(json::parse(line)["i"], i); break;
    case 1:
      EXPECT_EQ(line, platform_error("Runtime.ExitError", id, "Runtime exited with error: signal: aborted"));
      break;
    case 2:
      EXPECT_EQ(line, platform_error("Sandbox.Timedout", id, "Task timed out after 0.20 seconds"));
      break;
    case 3: EXPECT_EQ(line, R"({"errorMessage":"fake failure","errorType":"FakeError","stackTrace":[]})"); break;
    }
  }
  EXPECT_THAT(r.err, HasSubstr("invocations 200 · succeeded 50 · errors 50 · timeouts 50 · crashes 50 · "));
  // A crash and a timeout each end an environment: 100 fresh runtimes after the first.
  const auto pids = runtime_pids(r);
  EXPECT_EQ(pids.size(), 101u);
  expect_no_survivors(pids);
}

TEST(CliFailures, RuntimeIgnoringSigtermIsKilledOnTimeout) {
  const auto r = fake_run("hang", {"--event", sqs_event(), "--timeout", "0.2", "--env", "FAKE_IGNORE_SIGTERM=1",
                                   "--env", "FAKE_LOG_PID=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("\"errorType\":\"Sandbox.Timedout\""));
  const auto pids = runtime_pids(r);
  ASSERT_EQ(pids.size(), 1u);
  expect_no_survivors(pids);
}

TEST(CliFailures, GrandchildrenDoNotOutliveTheRun) {
  const auto r = fake_run("fork-grandchild", {"--event", sqs_event(), "--repeat", "3", "--env", "FAKE_LOG_PID=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_prefix(r.err_lines(), "fake-bootstrap: grandchild "), 3u);
  const auto pids = runtime_pids(r);
  ASSERT_EQ(pids.size(), 1u);
  expect_no_survivors(pids);
}

TEST(CliFailures, InitPastItsLimitIsRetriedWithinTheFirstInvocation) {
  const auto r = fake_run("init-sleep:600", {"--event", sqs_event(), "--init-timeout", "0.3", "--timeout", "3",
                                              "--env", "FAKE_LOG_PID=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(read_file(sqs_event())));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("INIT_REPORT Init Duration: [0-9]+\\.[0-9]{2} ms\tPhase: init\tStatus: timeout\n"));
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].find("Init Duration"), std::string::npos) << "a suppressed init reports no Init Duration";
  // Its Duration covers the retried init (about 600 ms).
  const std::regex duration("\tDuration: ([0-9.]+) ms");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(reports[0], m, duration));
  EXPECT_GE(std::stod(m[1]), 550.0);
  EXPECT_EQ(runtime_pids(r).size(), 2u) << "the runtime is restarted for the retry";
  expect_no_survivors(runtime_pids(r));
}

TEST(CliFailures, RuntimeThatNeverCallsNextTimesOut) {
  const auto r = fake_run("init-sleep:60000", {"--event", sqs_event(), "--init-timeout", "0.2", "--timeout", "0.3",
                                                "--env", "FAKE_LOG_PID=1"});
  EXPECT_EQ(r.exit_code, 1);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(r.out, platform_error("Sandbox.Timedout", request_id_of(reports[0]), "Task timed out after 0.30 seconds") + "\n");
  EXPECT_TRUE(reports[0].ends_with("\tStatus: timeout\t")) << reports[0];
  expect_no_survivors(runtime_pids(r));
}

TEST(CliFailures, ExitDuringInitIsRuntimeExitError) {
  const auto r = fake_run("init-exit:7", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(r.out, platform_error("Runtime.ExitError", request_id_of(reports[0]), "Runtime exited with error: exit status 7") + "\n");
  EXPECT_THAT(r.err, ::testing::ContainsRegex("INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n"));
  EXPECT_THAT(r.err, HasSubstr(" Error: Runtime exited with error: exit status 7\nRuntime.ExitError\n"));
}

TEST(CliFailures, ExitZeroIsExitedWithoutProvidingAReason) {
  const auto r = fake_run("exit:0", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(" Error: Runtime exited without providing a reason\"}"));
}

TEST(CliFailures, GoingOverMemoryIsRuntimeOutOfMemory) {
  // 1 GiB takes far longer to fault in than the 20 ms sampling period, so the kill always lands while the
  // invocation is running, even with transparent huge pages.
  const auto r = fake_run("by-event", {"--event", "-", "--memory", "64"},
                          with_stdin("{\"fake\":\"alloc:16\"}\n{\"fake\":\"alloc:1024\"}\n{\"after\":1}\n"));
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 3u);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(out[1], platform_error("Runtime.OutOfMemory", request_id_of(reports[1]), "Runtime exited with error: signal: killed"));
  EXPECT_TRUE(reports[1].ends_with("\tMax Memory Used: 64 MB\tStatus: error\tError Type: Runtime.OutOfMemory\t")) << reports[1];
  EXPECT_EQ(json::parse(out[2]), json::parse("{\"after\":1}"));
  EXPECT_NE(reports[2].find("\tInit Duration: "), std::string::npos) << "a fresh environment after the kill";
  // The first event's 16 MiB show in Max Memory Used.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(reports[0], m, std::regex("Max Memory Used: ([0-9]+) MB")));
  EXPECT_GE(std::stoi(m[1]), 16);
}

TEST(CliFailures, OversizedEventIsRejectedAndTheRunGoesOn) {
  scratch_dir dir;
  const std::string big = dir.write("big.json", "\"" + std::string(6291456, 'x') + "\"");
  const auto r = fake_run("echo", {"--event", big, "--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], R"({"errorMessage":"Request must be smaller than 6291456 bytes for the InvokeFunction operation","errorType":"RequestTooLargeException"})");
  EXPECT_EQ(json::parse(out[1]), json::parse(read_file(sqs_event())));
  EXPECT_THAT(r.err, HasSubstr("is 6291458 bytes, over Lambda's 6291456-byte limit: not sent"));
  EXPECT_EQ(report_lines(r).size(), 1u) << "the rejected event never reached the function";
}

TEST(CliFailures, LogFloodNeitherBlocksNorBloatsLemu) {
  command_options o;
  o.discard_output = true;
  const auto r = fake_run("flood:100", {"--event", sqs_event(), "--repeat", "2"}, o);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_GE(r.err_bytes_discarded, 2u * 104857 * 1000) << "both floods (104857 lines of 1000 bytes each) reach stderr";
  EXPECT_LT(r.max_rss_kb, rss_budget_kb(32 * 1024)) << "lemu's peak RSS while 200 MB of logs went through it";
}

TEST(CliFailures, PortInUseIsOneClearLine) {
  // Hold a port on 127.0.0.1, then ask lemu to serve the Runtime API on it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const auto r = fake_run("echo", {"--event", sqs_event(), "--runtime-api-port", port});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: cannot listen on 127.0.0.1:" + port +
                       ": Address already in use; pick another port, or leave --runtime-api-port out (any free port)\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliFailures, SigtermToLemuIsAnInterruptToo) {
  command_options o = with_stdin("{\"fake\":\"hang\"}\n");
  o.signal_when_stderr_has = "START RequestId: ";
  o.signal_to_send = SIGTERM;
  const auto r = fake_run("by-event", {"--event", "-", "--env", "FAKE_LOG_PID=1"}, o);
  EXPECT_EQ(r.exit_code, 130);
  EXPECT_THAT(r.err, HasSubstr("invocations 0 · succeeded 0 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
  expect_no_survivors(runtime_pids(r));
}

TEST(CliFailures, WithoutPidfdExitsAreStillSeen) {
  // Kernels before 5.3 and valgrind have no pidfd_open: lemu polls for the exit instead.
  command_options o = with_env({{"LEMU_NO_PIDFD", "1"}});
  o.stdin_text = "{}\n{\"fake\":\"exit:5\"}\n{}\n";
  const auto r = fake_run("by-event", {"--event", "-", "--env", "FAKE_LOG_PID=1"}, o);
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], platform_error("Runtime.ExitError", request_id_of(report_lines(r)[1]), "Runtime exited with error: exit status 5"));
  EXPECT_EQ(out[2], "{}");
  expect_no_survivors(runtime_pids(r));
}
