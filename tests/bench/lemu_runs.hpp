#pragma once
// Runs of `lemu run` for the warm, cold and replay measurements: wall-clock timed, output to /dev/null (a
// pipe read by this process would add its cost to lemu's), and lemu's own --json records read back.

#include <cstddef>
#include <string>
#include <vector>

namespace lemu::bench {

struct lemu_run {
  double seconds = 0;    // wall clock, spawn to exit
  double max_rss_mb = 0; // wait4 ru_maxrss of the lemu process. Linux starts it from this process's RSS at the
                         // spawn (posix_spawn shares our memory until exec), so lemu_bench keeps its own small.
};

// Runs `lemu run <echo> <args...>` with stdin, stdout and stderr on /dev/null; returns the wall-clock
// seconds from spawn to exit and the peak RSS. Throws when lemu does not exit 0.
lemu_run run_lemu(const std::string& lemu, const std::string& echo, const std::vector<std::string>& run_args);

// `--event <event> --repeat n [--concurrency c] [--cold] [--json file]`
std::vector<std::string> repeat_args(const std::string& event_path, int n, int concurrency = 1, bool cold = false,
                                     const std::string& json_file = {});

struct lemu_records {
  std::size_t warm = 0;
  double p50_us = 0; // warm duration_ms
  double p99_us = 0;
  std::vector<double> init_ms; // sorted, of the cold records
  std::size_t environments = 0;
  double max_memory_used_mb = 0; // the runtime's, as lemu reports it
};

// lemu's --json file: every record must be a success, and there must be `expected` of them.
lemu_records read_lemu_json(const std::string& path, int expected);

// lemu's own view of its invokes: `--repeat n [--concurrency c] [--cold] --json`, read back; the run's wall
// time in `seconds` when given.
lemu_records lemu_json_run(const std::string& lemu, const std::string& echo, const std::string& event_path, int n,
                           int concurrency, bool cold, double* seconds = nullptr, const std::vector<std::string>& extra = {});

} // namespace lemu::bench
