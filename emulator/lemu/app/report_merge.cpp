#include <lemu/app/report_merge.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/files.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/app/test_outcome.hpp>
#include <lemu/report/html.hpp>
#include <lemu/report/junit.hpp>
#include <lemu/stats/summary.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>

namespace lemu::app {

namespace {

constexpr std::size_t max_html_records = 5000; // as lemu run's --html

std::vector<parsed_record> read_records(const std::vector<std::string>& files) {
  std::vector<parsed_record> all;
  std::uint32_t environment_offset = 0;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) throw core::usage_error(file + ": cannot read");
    std::string text;
    std::size_t line = 0;
    std::uint32_t environments = 0;
    while (std::getline(in, text)) {
      ++line;
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        parsed_record p = parse_json_record(nlohmann::json::parse(text));
        // Each file's execution environments get rows of their own in the timeline.
        environments = std::max(environments, p.record.environment_id);
        p.record.environment_id += environment_offset;
        all.push_back(std::move(p));
      } catch (const std::exception& e) {
        throw core::usage_error(file + ":" + std::to_string(line) + ": " + e.what());
      }
    }
    environment_offset += environments;
  }
  // The order of an unsplit run: by source, then line (then repeat).
  std::stable_sort(all.begin(), all.end(), [](const parsed_record& a, const parsed_record& b) {
    return std::tie(a.record.source, a.record.line, a.record.index) < std::tie(b.record.source, b.record.line, b.record.index);
  });
  return all;
}

void write_file(const std::string& path, const std::string& text) {
  std::string why;
  if (!write_atomically(path, text, why)) throw core::usage_error(why);
}

} // namespace

int merge_reports(const merge_options& opt) {
  if (opt.records.empty()) throw core::usage_error("no records given: pass the --json files of the shards");
  std::vector<named_path> inputs, outputs;
  for (const auto& f : opt.records) inputs.push_back({"the records", f});
  if (!opt.junit_file.empty()) outputs.push_back({"--junit", opt.junit_file});
  if (!opt.html_file.empty()) outputs.push_back({"--html", opt.html_file});
  if (!opt.json_file.empty()) outputs.push_back({"--json", opt.json_file});
  refuse_overlaps(inputs, outputs);
  const std::vector<parsed_record> records = read_records(opt.records);
  stats::run_summary summary(records.empty() ? 128 : records.front().record.memory_size_mb);
  std::vector<report::test_case> cases, failures;
  std::string json_lines;
  for (std::size_t i = 0; i < records.size(); ++i) {
    stats::invocation_record rec = records[i].record;
    rec.index = i;
    summary.add(rec);
    cases.push_back(records[i].test);
    if (records[i].test.status != report::test_case::result::passed) failures.push_back(records[i].test);
    if (!opt.json_file.empty()) json_lines += json_record(rec, records[i].test).dump() + "\n";
  }

  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string now = iso8601_now();
  if (!opt.junit_file.empty()) write_file(opt.junit_file, report::render_junit(opt.suite, cases, now.substr(0, 19), host));
  if (!opt.html_file.empty()) {
    report::html_input in;
    in.title = opt.suite + " (" + std::to_string(opt.records.size()) + " record files merged)";
    in.generated_at = now;
    in.summary = summary.numbers();
    for (std::size_t i = 0; i < records.size() && i < max_html_records; ++i) in.records.push_back(records[i].record);
    in.failures = failures;
    write_file(opt.html_file, report::render_html(in));
  }
  if (!opt.json_file.empty()) write_file(opt.json_file, json_lines);

  std::fputs(summary.render_table().c_str(), stderr);
  std::fprintf(stderr, "lemu: report: %zu records from %zu files; %zu passed, %zu failed or errored\n", records.size(),
               opt.records.size(), records.size() - failures.size(), failures.size());
  return failures.empty() ? 0 : 1;
}

} // namespace lemu::app
