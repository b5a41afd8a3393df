#pragma once
// Shared helpers for tests that launch the real `lemu` binary.

#include "support/command.hpp"

#include <lemu_test_paths.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <regex>

#include <string>
#include <vector>

namespace lemu::test {

inline std::string sqs_event() { return std::string(events_dir) + "/sqs/single-message.json"; }

// lemu run <bootstrap> <args...>
inline command_result lemu_run(const std::string& bootstrap, std::vector<std::string> args,
                               const command_options& options = {}) {
  std::vector<std::string> argv{lemu_bin, "run", bootstrap};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

// lemu run <fake-bootstrap> --handler <mode> <args...>
inline command_result fake_run(const std::string& mode, std::vector<std::string> args,
                               const command_options& options = {}) {
  args.insert(args.begin(), {"--handler", mode});
  return lemu_run(fake_bootstrap, std::move(args), options);
}

// The REPORT lines of a run's stderr.
inline std::vector<std::string> report_lines(const command_result& r) {
  std::vector<std::string> out;
  for (const auto& l : r.err_lines()) {
    if (l.rfind("REPORT RequestId: ", 0) == 0) out.push_back(l);
  }
  return out;
}

// The number a REPORT line gives after "NAME: " (Duration, Init Duration, Billed Duration, ...); -1 when absent.
inline double report_field(const std::string& report, const std::string& name) {
  const auto at = report.find(name + ": ");
  return at == std::string::npos ? -1 : std::stod(report.substr(at + name.size() + 2));
}

// The request id named by a REPORT line.
inline std::string request_id_of(const std::string& report) { return report.substr(18, 36); }

// A platform error payload as Lambda returns it (PROTOCOL.md §4.3): errorType first, then
// "RequestId: <id> Error: <message>".
inline std::string platform_error(const std::string& type, const std::string& request_id, const std::string& message) {
  return R"({"errorType":")" + type + R"(","errorMessage":"RequestId: )" + request_id + " Error: " + message + "\"}";
}

// Every line of a JSON Lines file (a --json report, a capture), parsed.
inline std::vector<nlohmann::json> json_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& line : split_lines(read_file(path))) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The JSON log format's platform events of type `type` in a run's stderr (other lines skipped).
inline std::vector<nlohmann::json> platform_events(const std::string& err, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& line : split_lines(err)) {
    if (line.empty() || line.front() != '{') continue;
    const auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_object() && e.value("type", "") == type) out.push_back(e);
  }
  return out;
}

// The bundled sqs-batch sample's lines "sqs-batch: message <id> <what> (receive count <n>)" in `err`, by
// message id: the receive counts, in order. `what`: ok, failed, unprocessed.
inline std::map<std::string, std::vector<std::string>> sqs_batch_lines(const std::string& err, const std::string& what) {
  std::map<std::string, std::vector<std::string>> out;
  const std::regex line("sqs-batch: message ([0-9a-f-]{36}) " + what + " \\(receive count ([0-9]+)\\)");
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator(); ++it) {
    out[(*it)[1].str()].push_back((*it)[2].str());
  }
  return out;
}

} // namespace lemu::test
