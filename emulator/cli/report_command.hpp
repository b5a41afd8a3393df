#pragma once
// `lemu report merge RECORDS... [--junit FILE] [--html FILE] [--json FILE]`: one set of reports from the
// --json records of several runs (the shards of `lemu replay --shard K/N`); app/report_merge.hpp.

#include <lemu/app/report_merge.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace lemu::cli {

struct report_command {
  CLI::App* command = nullptr;
  CLI::App* merge = nullptr;
  app::merge_options options;
};

// Adds the subcommand to `cli`; the returned state is filled by parsing.
std::unique_ptr<report_command> add_report_command(CLI::App& cli);

// Runs the parsed subcommand; returns the exit code.
int run_report_command(const report_command& r);

} // namespace lemu::cli
