#include "bench/options.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace lemu::bench {

namespace {

// An integer option's bound, shown in --help as ">= N".
CLI::Validator at_least(int min) {
  return CLI::Validator(
      [min](std::string& text) {
        int v = 0;
        if (!CLI::detail::lexical_cast(text, v) || v < min) return "needs an integer >= " + std::to_string(min);
        return std::string();
      },
      ">= " + std::to_string(min));
}

void check_relations(const options& o) {
  if (o.serve) {
    if (o.port_fd < 0) throw CLI::ValidationError("--serve needs --port-fd");
    return;
  }
  if (o.lemu.empty() || o.echo.empty() || o.event.empty())
    throw CLI::ValidationError("--lemu, --echo and --event are required");
  if (o.n_big <= o.n_small) throw CLI::ValidationError("--big must be larger than --small");
  if (o.cold_n <= o.cold_small) throw CLI::ValidationError("--cold-n must be larger than --cold-small");
  if (o.replay_big <= o.replay_small) throw CLI::ValidationError("--replay must be larger than --replay-small");
}

} // namespace

parsed_options parse_options(int argc, char** argv) {
  parsed_options out;
  options& o = out.o;
  CLI::App app("lemu_bench: the DESIGN.md §5 benchmarks, lemu against baselines measured in the same run.\n"
               "The table goes to stdout, progress to stderr. Exit status: 0 when the benchmark ran (whatever\n"
               "the ratios, unless --check), 1 when a target is missed under --check, 2 on error.",
               "lemu_bench");
  const auto count = [&](const char* name, int& value, int min, const char* help) {
    app.add_option(name, value, help)->check(at_least(min))->capture_default_str();
  };
  app.add_option("--lemu", o.lemu, "The lemu CLI");
  app.add_option("--echo", o.echo, "The C++ echo bootstrap");
  app.add_option("--echo-arm64", o.echo_arm64, "The echo built for aarch64 (its cold start through qemu-aarch64-static)");
  app.add_option("--fake", o.fake, "fake-bootstrap, for the streaming time-to-first-byte rows (without: skipped)");
  count("--stream-n", o.stream_n, 1, "Timed streamed invokes per route");
  app.add_option("--event", o.event, "The event (one JSON document), e.g. events/sqs/single-message.json");
  app.add_option("--json", o.json_out, "Also write the figures as JSON to this file");
  app.add_flag("--check", o.check, "Exit 1 when a DESIGN.md §5 target is missed");
  count("--pairs", o.pairs, 1, "Timed baseline pairs per round");
  count("--warmup", o.warmup, 1, "Untimed baseline pairs before each round");
  count("--small", o.n_small, 1, "lemu --repeat for the short run");
  count("--big", o.n_big, 2, "lemu --repeat for the long run");
  count("--json-n", o.n_json, 2, "lemu --repeat for the --json runs");
  count("--rounds", o.rounds, 1, "Rounds of each measurement, the best is kept");
  count("--concurrency", o.concurrency, 2,
        "The second warm measurement: lemu --concurrency N against N baseline pairs at once");
  count("--cold-n", o.cold_n, 2, "Cold starts per round: lemu --cold --repeat N and N baseline spawns");
  count("--cold-small", o.cold_small, 1, "lemu --cold --repeat for the short run of the wall-time difference");
  count("--replay", o.replay_big, 2, "Events in the big replay");
  count("--replay-small", o.replay_small, 1, "Events in the small replay");
  app.add_flag("--skip-replay", o.skip_replay, "Skip the replay runs (about a minute of the default run)");
  std::string only;
  app.add_option("--only", only, "Run only this part (serve: the lemu serve Invoke API measurement)")
      ->check(CLI::IsMember({"serve"}));
  count("--serve-clients", o.serve_clients, 1,
        "Concurrent Invoke API clients; lemu runs at --concurrency 2 and at this number");
  count("--serve-warmup", o.serve_warmup, 1, "Untimed invokes per client before each serve round");
  int serve_ms = 1000;
  count("--serve-ms", serve_ms, 1, "Timed span of each serve round, milliseconds");
  count("--serve-rounds", o.serve_rounds, 1, "Serve rounds (baseline, lemu -c 2, lemu -c N), the best is kept");
  // Internal: the baseline server (this program re-executed).
  std::string serve_event;
  app.add_option("--serve", serve_event, "")->group("");
  app.add_option("--port-fd", o.port_fd, "")->group("")->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
    o.serve_seconds = serve_ms / 1000.0;
    o.only_serve = only == "serve";
    if (!serve_event.empty()) {
      o.serve = true;
      o.event = serve_event;
    }
    check_relations(o);
  } catch (const CLI::CallForHelp& e) {
    out.exit_code = app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lemu_bench: " << e.what() << " (lemu_bench --help lists the options)\n";
    out.exit_code = 2;
  }
  return out;
}

} // namespace lemu::bench
