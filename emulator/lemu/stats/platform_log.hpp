#pragma once
// Lambda's platform log lines, rendered as strings without the trailing newline: the one place their
// formats live (INIT_START, START, END, REPORT, INIT_REPORT and the fault line); their JSON forms are in
// platform_events.hpp. Pure functions: app::environment_log prints them.

#include <lemu/core/invocation.hpp>
#include <lemu/stats/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::stats {

// ceil(duration_ms + init_ms): Lambda bills init since 2025-08-01 (PROTOCOL.md §4.1). The sum is rounded to
// whole nanoseconds first, so floating-point noise (1.1 + 1.9) bills 3 and not 4; 0 for a sum <= 0.
std::uint64_t billed_duration_ms(double duration_ms, std::optional<double> init_ms);

// The runtime version lemu reports for provided.al2023 in INIT_START and platform.initStart. Invented: AWS
// numbers its versions (provided:al2023.v<N>, PROTOCOL.md §4.2 [unverified]); lemu is none of them.
inline constexpr const char* runtime_version = "provided:al2023.v100";
// "arn:aws:lambda:<region>::runtime:<sha>", with a fixed, invented sha of 64 hex digits.
std::string runtime_version_arn(std::string_view region);

// "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:<sha>"
std::string init_start_line(std::string_view version, std::string_view arn);

// "START RequestId: <id> Version: <version>"
std::string start_line(std::string_view request_id, std::string_view version);

// "END RequestId: <id>"
std::string end_line(std::string_view request_id);

// "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout[\tError Type: <type>]"
std::string init_report_line(double init_ms, std::string_view phase, std::string_view status, std::string_view error_type);

// The log line Lambda writes for a platform error (RIE's FaultData): "<errorMessage>\n<errorType>" — two lines.
std::string fault_line(const core::outcome& o);

// "REPORT RequestId: <id>\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t"
// then "Init Duration: 110.10 ms\t" when init_ms is set (after Max Memory Used, as AWS prints it),
// then "Status: timeout\t" for a timeout, or "Status: error\tError Type: <type>\t" for a crash.
// Durations have two decimals, memory is integer MB, every field ends with a tab.
// Billed Duration is r.billed_ms as given (fill it with billed_duration_ms); a crash with an empty error_type
// gets "Status: error\t" without an Error Type field.
std::string report_line(const invocation_record& r);

} // namespace lemu::stats
