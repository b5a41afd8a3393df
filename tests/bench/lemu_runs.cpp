#include "bench/lemu_runs.hpp"

#include "bench/core.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

namespace lemu::bench {

lemu_run run_lemu(const std::string& lemu, const std::string& echo, const std::vector<std::string>& run_args) {
  std::vector<std::string> args{lemu, "run", echo};
  args.insert(args.end(), run_args.begin(), run_args.end());
  clock_type::time_point start;
  const pid_t pid = spawn_quiet(args, nullptr, start);
  rusage usage{};
  const int status = wait_child(pid, &usage);
  lemu_run r;
  r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  r.max_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
  if (status != 0) {
    std::string command = "lemu run " + echo;
    for (const auto& a : run_args) command += " " + a;
    throw std::runtime_error("`" + command + "` exited with status " + std::to_string(status) +
                             " (run it by hand to see why)");
  }
  return r;
}

std::vector<std::string> repeat_args(const std::string& event_path, int n, int concurrency, bool cold,
                                     const std::string& json_file) {
  std::vector<std::string> args{"--event", event_path, "--repeat", std::to_string(n)};
  if (concurrency != 1) {
    args.emplace_back("--concurrency");
    args.push_back(std::to_string(concurrency));
  }
  if (cold) args.emplace_back("--cold");
  if (!json_file.empty()) {
    args.emplace_back("--json");
    args.push_back(json_file);
  }
  return args;
}

lemu_records read_lemu_json(const std::string& path, int expected) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("lemu wrote no " + path);
  std::vector<double> warm_us;
  std::set<std::int64_t> environments;
  lemu_records out;
  std::string line;
  int records = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++records;
    if (j.at("status").get<std::string>() != "success") {
      throw std::runtime_error("lemu invocation " + j.at("index").dump() + " was not a success");
    }
    if (!j.at("cold").get<bool>()) warm_us.push_back(j.at("duration_ms").get<double>() * 1000.0);
    else if (const auto& init = j.at("init_ms"); !init.is_null()) out.init_ms.push_back(init.get<double>());
    environments.insert(j.at("environment_id").get<std::int64_t>());
    if (const auto& mem = j.at("max_memory_used_mb"); mem.is_number()) {
      out.max_memory_used_mb = std::max(out.max_memory_used_mb, mem.get<double>());
    }
  }
  if (records != expected) {
    throw std::runtime_error("lemu --json wrote " + std::to_string(records) + " records, expected " +
                             std::to_string(expected));
  }
  std::sort(warm_us.begin(), warm_us.end());
  std::sort(out.init_ms.begin(), out.init_ms.end());
  out.warm = warm_us.size();
  out.p50_us = percentile(warm_us, 0.50);
  out.p99_us = percentile(warm_us, 0.99);
  out.environments = environments.size();
  return out;
}

lemu_records lemu_json_run(const std::string& lemu, const std::string& echo, const std::string& event_path, int n,
                           int concurrency, bool cold, double* seconds, const std::vector<std::string>& extra) {
  temp_dir dir("lemu_bench_");
  const std::string json_file = dir.file("records.jsonl");
  std::vector<std::string> args = repeat_args(event_path, n, concurrency, cold, json_file);
  args.insert(args.end(), extra.begin(), extra.end());
  const lemu_run run = run_lemu(lemu, echo, args);
  if (seconds) *seconds = run.seconds;
  return read_lemu_json(json_file, n);
}

} // namespace lemu::bench
