#pragma once
// `lemu report merge RECORDS...`: the reports of a run split over several runners (`lemu replay --shard
// K/N --json FILE` on each) made whole again from their --json records: one summary table with exact
// totals and percentiles (every duration of every shard goes into one set of samples: the percentiles
// are computed from all of them, not combined from each shard's), one JUnit file, one HTML report, and
// optionally the records themselves in one file.

#include <string>
#include <vector>

namespace lemu::app {

struct merge_options {
  std::vector<std::string> records; // --json files (JSON Lines), in any order
  std::string junit_file;           // --junit FILE
  std::string html_file;            // --html FILE
  std::string json_file;            // --json FILE: every record, ordered by source and line
  std::string suite = "lemu replay"; // the JUnit suite's name
};

// Prints the summary table on stderr (as `lemu run` does) and writes the files asked for. Returns 0 when
// every test case passed, 1 when any failed or errored. Throws usage_error for an unreadable file or a
// line that is not a record (FILE:LINE: ...).
int merge_reports(const merge_options& options);

} // namespace lemu::app
