#pragma once
// An invocation as a test case of the JUnit and HTML reports (`lemu run` / `lemu replay` --junit, --html),
// and its form in the --json records, which `lemu report merge` reads back to rebuild those reports from
// several shards' records.

#include <lemu/compare/json_diff.hpp>
#include <lemu/report/junit.hpp>
#include <lemu/stats/record.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace lemu::app {

// The case of one finished invocation: `name` names the event; in a replay a mismatch is a failure (with
// the diff) or, when it has no diff (a failure without a recording), an error; in a run any failed
// invocation is an error whose details are `outcome_line` (the stdout line).
report::test_case to_test_case(const stats::invocation_record& rec, const std::string& name, bool replay,
                               bool mismatch, const std::vector<compare::difference>& diffs,
                               const std::string& outcome_line);

// A --json record: stats::to_json(rec) plus "name" (the event) and "test": {"classname", "time_s",
// "result" ("passed" | "failed" | "error"), "message", "details"} (message and details "" when passed).
nlohmann::ordered_json json_record(const stats::invocation_record& rec, const report::test_case& c);

// The inverse of json_record (records written before "test" existed are cases named after their source,
// passed when they succeeded). Throws std::invalid_argument when `j` is not a record.
struct parsed_record {
  stats::invocation_record record;
  report::test_case test;
};
parsed_record parse_json_record(const nlohmann::json& j);

// A replay's last line: "lemu: replay: N of N outcomes match", or how many differ; either way it says
// when recorded failures that failed again are among the matches (the summary counts them as failed).
std::string replay_verdict(std::size_t outcomes, std::size_t mismatches, std::size_t recorded_failures);

} // namespace lemu::app
