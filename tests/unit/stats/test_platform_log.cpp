// Lambda's platform lines (START, END, REPORT, INIT_REPORT, the fault line) and Billed Duration.
#include <lemu/stats/record.hpp>
#include <lemu/stats/platform_log.hpp>

#include <lemu/core/errors.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace lemu::stats {
namespace {

constexpr const char* request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

invocation_record make_record(double duration_ms, std::optional<double> init_ms) {
  invocation_record r;
  r.request_id = request_id;
  r.duration_ms = duration_ms;
  r.init_ms = init_ms;
  r.cold = init_ms.has_value();
  r.billed_ms = billed_duration_ms(duration_ms, init_ms);
  r.memory_size_mb = 128;
  r.max_memory_used_mb = 36;
  return r;
}

TEST(status, names) {
  EXPECT_STREQ(to_string(status::success), "success");
  EXPECT_STREQ(to_string(status::error), "error");
  EXPECT_STREQ(to_string(status::timeout), "timeout");
  EXPECT_STREQ(to_string(status::crash), "crash");
}

TEST(start_end, lines) {
  EXPECT_EQ(start_line(request_id, "$LATEST"), "START RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd Version: $LATEST");
  EXPECT_EQ(end_line(request_id), "END RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd");
}

TEST(billed_duration, whole_milliseconds_are_not_rounded_up) {
  EXPECT_EQ(billed_duration_ms(3.0, std::nullopt), 3u);
  EXPECT_EQ(billed_duration_ms(3.00, 0.0), 3u);
  EXPECT_EQ(billed_duration_ms(1000.0, std::nullopt), 1000u);
  EXPECT_EQ(billed_duration_ms(100.0, 20.0), 120u);
}

TEST(billed_duration, any_fraction_bills_the_next_millisecond) {
  EXPECT_EQ(billed_duration_ms(3.001, std::nullopt), 4u);
  EXPECT_EQ(billed_duration_ms(3.000001, std::nullopt), 4u);
  EXPECT_EQ(billed_duration_ms(2.9, std::nullopt), 3u);
  EXPECT_EQ(billed_duration_ms(3.01, std::nullopt), 4u);
  EXPECT_EQ(billed_duration_ms(0.0001, std::nullopt), 1u);
  EXPECT_EQ(billed_duration_ms(1000.5, std::nullopt), 1001u);
}

TEST(billed_duration, floating_point_noise_does_not_add_a_millisecond) {
  // 1.1 + 1.9 == 3.0000000000000004 and 0.1 + 0.2 == 0.30000000000000004 in doubles.
  EXPECT_EQ(billed_duration_ms(1.1, 1.9), 3u);
  EXPECT_EQ(billed_duration_ms(0.1, 0.2), 1u);
  EXPECT_EQ(billed_duration_ms(3.0000000000000004, std::nullopt), 3u);
  EXPECT_EQ(billed_duration_ms(0.7 + 0.1 + 0.2, std::nullopt), 1u);
}

TEST(billed_duration, includes_init) {
  EXPECT_EQ(billed_duration_ms(3.01, 110.10), 114u); // 113.11
  EXPECT_EQ(billed_duration_ms(0.5, 0.5), 1u);
}

TEST(billed_duration, zero_and_nonsense) {
  EXPECT_EQ(billed_duration_ms(0.0, std::nullopt), 0u);
  EXPECT_EQ(billed_duration_ms(-1.0, std::nullopt), 0u);
}

TEST(report_line, cold_start_has_init_duration_after_max_memory_used) {
  const auto r = make_record(3.01, 110.1);
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 3.01 ms\t"
                            "Billed Duration: 114 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
                            "Init Duration: 110.10 ms\t");
}

TEST(report_line, warm) {
  const auto r = make_record(2.9, std::nullopt);
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 2.90 ms\t"
                            "Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t");
}

TEST(report_line, durations_have_two_decimals) {
  auto r = make_record(12079.526, std::nullopt);
  r.memory_size_mb = 1024;
  r.max_memory_used_mb = 512;
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 12079.53 ms\t"
                            "Billed Duration: 12080 ms\tMemory Size: 1024 MB\tMax Memory Used: 512 MB\t");
}

TEST(report_line, prints_the_records_billed_duration) {
  auto r = make_record(3.0, std::nullopt);
  EXPECT_NE(report_line(r).find("\tBilled Duration: 3 ms\t"), std::string::npos);
  r.billed_ms = 7;
  EXPECT_NE(report_line(r).find("\tBilled Duration: 7 ms\t"), std::string::npos);
}

TEST(report_line, timeout) {
  auto r = make_record(3000.38, std::nullopt);
  r.status = status::timeout;
  r.error_type = "Sandbox.Timedout";
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 3000.38 ms\t"
                            "Billed Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
                            "Status: timeout\t");
}

TEST(report_line, timeout_on_a_cold_start_puts_status_after_init_duration) {
  auto r = make_record(1000.0, 12.5);
  r.status = status::timeout;
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 1000.00 ms\t"
                            "Billed Duration: 1013 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
                            "Init Duration: 12.50 ms\tStatus: timeout\t");
}

TEST(report_line, crash_has_status_error_and_error_type) {
  auto r = make_record(1.5, std::nullopt);
  r.status = status::crash;
  r.error_type = "Runtime.ExitError";
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 1.50 ms\t"
                            "Billed Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
                            "Status: error\tError Type: Runtime.ExitError\t");
}

TEST(report_line, crash_on_a_cold_start) {
  auto r = make_record(0.25, 40.0);
  r.status = status::crash;
  r.error_type = "Runtime.OutOfMemory";
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 0.25 ms\t"
                            "Billed Duration: 41 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
                            "Init Duration: 40.00 ms\tStatus: error\tError Type: Runtime.OutOfMemory\t");
}

TEST(report_line, function_error_has_no_status) {
  auto r = make_record(2.9, std::nullopt);
  r.status = status::error;
  r.error_type = "InvalidEventDataException";
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 2.90 ms\t"
                            "Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t");
}

TEST(report_line, has_no_newline_and_every_field_ends_with_a_tab) {
  auto r = make_record(1.0, 2.0);
  r.status = status::crash;
  r.error_type = "Runtime.ExitError";
  const std::string line = report_line(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\t');
}

TEST(platform_log, fault_line_is_the_message_then_the_type) {
  EXPECT_EQ(fault_line(core::timeout_outcome(request_id, std::chrono::seconds(1))),
            std::string("RequestId: ") + request_id + " Error: Task timed out after 1.00 seconds\nSandbox.Timedout");
  const core::outcome no_message{core::outcome_kind::runtime_exit, "not json", "text/plain", "Runtime.ExitError"};
  EXPECT_EQ(fault_line(no_message), "\nRuntime.ExitError");
}

TEST(platform_log, init_report_line_has_lambdas_fields) {
  EXPECT_EQ(init_report_line(10000, "init", "timeout", ""), "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout");
  EXPECT_EQ(init_report_line(1.5, "invoke", "error", "Runtime.ExitError"),
            "INIT_REPORT Init Duration: 1.50 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError");
}

} // namespace
} // namespace lemu::stats
