#include "report_command.hpp"

namespace lemu::cli {

std::unique_ptr<report_command> add_report_command(CLI::App& cli) {
  auto r = std::make_unique<report_command>();
  r->command = cli.add_subcommand("report", "Work with the records of runs (lemu report merge)");
  r->command->require_subcommand(1);
  r->merge = r->command->add_subcommand(
      "merge", "Merge the --json records of several runs (the shards of lemu replay --shard K/N) into one summary, "
               "JUnit file and HTML report; exit 1 when any event failed");
  r->merge->add_option("records", r->options.records, "--json files (JSON Lines) of the runs")->required();
  r->merge->add_option("--junit", r->options.junit_file, "Write one JUnit XML report of every event to FILE");
  r->merge->add_option("--html", r->options.html_file, "Write one HTML report to FILE");
  r->merge->add_option("--json", r->options.json_file, "Write every record, ordered by source and line, to FILE");
  r->merge->add_option("--suite", r->options.suite, "The JUnit suite's name")->capture_default_str();
  return r;
}

int run_report_command(const report_command& r) { return app::merge_reports(r.options); }

} // namespace lemu::cli
