#pragma once
// lemu_bench's command line (CLI11).

#include <string>

namespace lemu::bench {

struct options {
  std::string lemu;
  std::string echo;
  std::string echo_arm64; // the echo built for aarch64 (cold start through qemu); absent: not measured
  std::string fake; // fake-bootstrap, for the streaming measurement (none: skipped)
  int stream_n = 2000;
  std::string event;
  std::string json_out;
  int pairs = 20000;
  int warmup = 1000;
  int n_small = 1000;
  int n_big = 21000;
  int n_json = 10000;
  int rounds = 3;
  int concurrency = 2;
  int cold_n = 300;
  int cold_small = 20;
  int replay_small = 100000;
  int replay_big = 1000000;
  bool skip_replay = false;
  int serve_clients = 8;
  int serve_warmup = 500;
  double serve_seconds = 1.0;
  int serve_rounds = 8;
  bool only_serve = false; // --only serve
  bool check = false;
  // --serve EVENT --port-fd N: this program re-executed as the baseline's server
  bool serve = false;
  int port_fd = -1;
};

struct parsed_options {
  options o;
  int exit_code = -1; // >= 0: exit with it (after --help, or a usage error already printed)
};

// Parses argv; prints --help or a usage error itself (exit code 0 or 2).
parsed_options parse_options(int argc, char** argv);

} // namespace lemu::bench
