#pragma once
// JUnit XML for a run or a replay: one <testsuite> document in the Apache Ant schema
// (../shared/fixtures/junit/JUnit.xsd), which the JUnit readers of GitHub Actions, GitLab and Jenkins accept.
// Each event is a <testcase>; a mismatch is a <failure>, a failed invocation an <error>. Pure: returns text.

#include <string>
#include <string_view>
#include <vector>

namespace lemu::report {

struct test_case {
  std::string name;       // the event: capture meta name, or "<source>:<line>" / "<source>#<index>"
  std::string classname;  // e.g. "lemu.replay.<capture file stem>"
  double time_s = 0;      // duration (+ init) in seconds
  enum class result {
    passed,
    failed, // mismatch: the response differs from the expected one
    error,  // the invocation failed: timeout, crash, function error
  } status = result::passed;
  std::string message;    // short: "response differs at $.body.total" / "Sandbox.Timedout"
  std::string details;    // the full diff text (no ANSI colors) or the error payload
};

// "passed" | "failed" | "error"
const char* to_string(test_case::result r);

// The <failure>/<error> `type` attribute of a case: "mismatch" for a failure; for an error, the error type
// that leads its message: the whole message when it is one name ("Sandbox.Timedout", "Unhandled"), the
// name before a colon ("Runtime.ExitError: exit status 1"), or a dotted name before a space
// ("Runtime.ExitError exit status 1"); else "InvocationError". "" for a passed case.
std::string junit_type(const test_case& c);

// The whole document, UTF-8, ending with a newline:
//   <?xml version="1.0" encoding="UTF-8"?>
//   <testsuite name="SUITE" tests="3" failures="1" errors="1" skipped="0" time="0.123"
//              timestamp="2026-11-27T00:45:00" hostname="HOST">
//     <properties/>
//     <testcase name="a" classname="lemu.replay.x" time="0.001"/>
//     <testcase name="b" classname="lemu.replay.x" time="0.002">
//       <failure message="response differs at $.body.total" type="mismatch">DETAILS</failure>
//     </testcase>
//     <testcase name="c" classname="lemu.replay.x" time="3.001">
//       <error message="Sandbox.Timedout" type="Sandbox.Timedout">DETAILS</error>
//     </testcase>
//     <system-out/>
//     <system-err/>
//   </testsuite>
// (the testsuite's attributes on one line). Cases stay in the given order. Times are decimals with 3
// digits (seconds; negative or NaN as 0, at most 1e9); the suite's time is the sum of its cases'. Every text is
// cleaned as text.hpp's clean_text says (ANSI escapes removed, forbidden control characters shown as
// control pictures, invalid UTF-8 as U+FFFD) and escaped; names, class names and the host name have their
// whitespace collapsed. An empty suite name becomes "lemu", an empty hostname "localhost", an empty case
// name "(unnamed)". `timestamp_iso8601` is cut to its first 19 characters "YYYY-MM-DDThh:mm:ss" (the
// schema allows no fraction or zone); when that is not a valid date-time, 1970-01-01T00:00:00 is written.
std::string render_junit(const std::string& suite_name, const std::vector<test_case>& cases,
                         std::string_view timestamp_iso8601, std::string_view hostname);

} // namespace lemu::report
