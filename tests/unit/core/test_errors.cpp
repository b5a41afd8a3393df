// core/errors: Lambda's exact platform error payloads, exit reasons and signal names (PROTOCOL.md §1.3, §4.3).
#include <lemu/core/errors.hpp>

#include <gtest/gtest.h>

#include <csignal>

namespace lemu::core {
namespace {

constexpr const char* id = "8476a536-e9f4-41e8-9739-2dfe598c3fcd";

TEST(Errors, TimeoutHasLambdasTextAndKeyOrder) {
  const outcome o = timeout_outcome(id, std::chrono::milliseconds(3000));
  EXPECT_EQ(o.kind, outcome_kind::timeout);
  EXPECT_FALSE(o.ok());
  EXPECT_EQ(o.payload, std::string(R"({"errorType":"Sandbox.Timedout","errorMessage":"RequestId: )") + id +
                           R"( Error: Task timed out after 3.00 seconds"})");
  EXPECT_EQ(o.content_type, "application/json");
  EXPECT_EQ(o.error_type, "Sandbox.Timedout");
  EXPECT_NE(timeout_outcome(id, std::chrono::milliseconds(1500)).payload.find("after 1.50 seconds"), std::string::npos);
}

TEST(Errors, ExitReasonsInGosWords) {
  EXPECT_EQ(exit_reason({false, 2, 0}), "exited with error: exit status 2");
  EXPECT_EQ(exit_reason({true, 0, SIGKILL}), "exited with error: signal: killed");
  EXPECT_EQ(exit_reason({true, 0, SIGSEGV}), "exited with error: signal: segmentation fault");
  EXPECT_EQ(exit_reason({false, 0, 0}), "exited without providing a reason");
  EXPECT_EQ(signal_name(SIGABRT), "aborted");
  EXPECT_EQ(signal_name(SIGTERM), "terminated");
  EXPECT_EQ(signal_name(64), "signal 64");
}

TEST(Errors, RuntimeExitAndOutOfMemory) {
  const outcome exit = runtime_exit_outcome(id, {false, 1, 0});
  EXPECT_EQ(exit.kind, outcome_kind::runtime_exit);
  EXPECT_EQ(exit.payload, std::string(R"({"errorType":"Runtime.ExitError","errorMessage":"RequestId: )") + id +
                              R"( Error: Runtime exited with error: exit status 1"})");
  const outcome oom = out_of_memory_outcome(id);
  EXPECT_EQ(oom.kind, outcome_kind::out_of_memory);
  EXPECT_EQ(oom.error_type, "Runtime.OutOfMemory");
  EXPECT_EQ(oom.payload, std::string(R"({"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: )") + id +
                             R"( Error: Runtime exited with error: signal: killed"})");
}

TEST(Errors, ResponseTooLargeHasErrorMessageFirst) {
  const outcome o = response_too_large_outcome();
  EXPECT_EQ(o.kind, outcome_kind::too_large);
  EXPECT_EQ(o.payload, R"({"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).",)"
                       R"("errorType":"Function.ResponseSizeTooLarge"})");
  EXPECT_EQ(max_response_bytes, 6U * 1024 * 1024 + 100);
  EXPECT_EQ(max_event_bytes, 6U * 1024 * 1024);
}

TEST(Errors, FunctionErrorTypeFromBodyThenHeaderThenUnhandled) {
  const std::string body = R"({"errorMessage":"boom","errorType":"ValueError","stackTrace":[]})";
  const outcome from_body = function_error_outcome(outcome_kind::function_error, body, "HeaderType");
  EXPECT_EQ(from_body.payload, body); // verbatim
  EXPECT_EQ(from_body.error_type, "ValueError");
  EXPECT_EQ(from_body.content_type, "application/json");
  EXPECT_EQ(function_error_outcome(outcome_kind::function_error, R"({"errorMessage":"x"})", "HeaderType").error_type,
            "HeaderType");
  const outcome not_json = function_error_outcome(outcome_kind::init_error, "plain text", "");
  EXPECT_EQ(not_json.kind, outcome_kind::init_error);
  EXPECT_EQ(not_json.error_type, "Unhandled");
  EXPECT_EQ(not_json.content_type, "application/octet-stream");
  EXPECT_EQ(function_error_outcome(outcome_kind::function_error, R"({"errorType":7})", "").error_type, "Unhandled");
}

TEST(Errors, OutcomesOfEnvironmentsThatCannotRun) {
  EXPECT_EQ(invalid_entrypoint_outcome(id, "/fn/bootstrap").payload,
            std::string(R"({"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: )") + id +
                R"( Error: Couldn't find valid bootstrap(s): [/fn/bootstrap]"})");
  EXPECT_EQ(invalid_entrypoint_outcome(id, "x").kind, outcome_kind::invalid_entrypoint);
  EXPECT_EQ(sandbox_failure_outcome(id, "no port").error_type, "Sandbox.Failure");
  const outcome cancelled = cancelled_outcome(id);
  EXPECT_EQ(cancelled.kind, outcome_kind::cancelled);
  EXPECT_EQ(cancelled.error_type, "Lemu.Cancelled");
  EXPECT_FALSE(cancelled.ok());
}

} // namespace
} // namespace lemu::core
