#pragma once
// `lemu run` and `lemu replay`: feed events to a function's bootstrap through up to N execution
// environments kept warm, and report every invocation (stdout: outcomes in input order; stderr: logs,
// START/END/REPORT, a progress line on terminals, the summary; optional JSON, JUnit, HTML reports and
// capture).

#include <lemu/core/exit_codes.hpp>
#include <lemu/app/shard.hpp>
#include <lemu/core/function_config.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::app {

struct run_options {
  core::function_config function;
  std::vector<std::string> events; // --event specs, in order
  std::vector<std::string> event_names; // how to show each spec ("" : as given), e.g. a bundled event's name
  std::string env_file;            // --env-file, an input that no output may overwrite
  std::size_t repeat = 1;          // --repeat: run the whole event list this many times
  std::string json_report;         // --json FILE: one JSON record per invocation (JSON Lines); "" for none
  std::uint16_t runtime_api_port = 0; // --runtime-api-port: a fixed port instead of an ephemeral one
  std::size_t concurrency = 1;     // --concurrency: execution environments at most at once
  bool cold = false;               // --cold: a fresh environment for every event
  bool quiet = false;              // --quiet: no progress line
  bool stream = false;             // --stream: a streamed response goes to stdout raw, as it arrives
  std::string record_file;         // --record FILE: a capture line per invocation (input order)
  std::string junit_file;          // --junit FILE: JUnit XML, one test case per event
  std::string html_file;           // --html FILE: a self-contained HTML report
  // lemu replay: the events are capture files; outcomes are compared with the recorded ones.
  bool replay = false;
  std::vector<std::string> ignore; // --ignore PATH (JSON Pointer or $.a.b[*].c)
  bool update = false;             // --update: rewrite the captures with the new outcomes
  std::optional<shard_spec> shard;     // --shard K/N: only this shard's events (shard.hpp)
  // --tenant-id: every event is invoked for this tenant (tenant isolation); replay: the events whose capture
  // line has no meta.tenant_id (a line's own tenant wins). "" : no tenant.
  std::string tenant_id;
};

// Runs everything and returns the exit code. Throws core::usage_error (or events::input_error) for bad
// input. In replay mode the exit code is 1 when an outcome differs from its recording (or an event without
// a recording fails), not when a recorded failure happens again.
int run(const run_options& options);

} // namespace lemu::app
