#include <lemu/app/watch_loop.hpp>

#include <lemu/core/exit_codes.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <optional>

namespace lemu::app {

namespace fs = std::filesystem;

namespace {

// Waits for one settled change; false when Ctrl-C came first.
bool wait_for_change(const std::vector<fs::path>& trees, const watch_settings& settings, const fs::path& template_file) {
  boost::asio::io_context ioc(1);
  output out(stdout, stderr);
  code_watch watch(ioc.get_executor(), out, settings);
  watch.watch_code(trees, template_file);
  bool changed = false;
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) ioc.stop();
  });
  watch.start([&](const code_change& c) {
    out.log_line("lemu: watch: " + describe(c) + " changed: running again");
    changed = true;
    ioc.stop();
  });
  out.log_line("lemu: watch: waiting for changes (Ctrl-C stops)");
  out.flush();
  ioc.run();
  watch.stop();
  out.flush();
  return changed;
}

} // namespace

int run_watching(run_options first, const std::function<run_options()>& next, const watch_settings& settings,
                 const fs::path& template_file) {
  std::vector<fs::path> trees = code_trees({&first.function});
  std::optional<run_options> round = std::move(first);
  int rc = core::exit_ok;
  for (;;) {
    if (round) {
      try {
        rc = run(*round);
      } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "lemu: error: %s\n", e.what());
        rc = core::exit_usage;
      }
      if (rc == core::exit_interrupted) return rc;
      trees = code_trees({&round->function});
    }
    if (!wait_for_change(trees, settings, template_file)) return rc;
    try {
      round = next();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lemu: error: %s (waiting for the next change)\n", e.what());
      round.reset();
    }
  }
}

} // namespace lemu::app
