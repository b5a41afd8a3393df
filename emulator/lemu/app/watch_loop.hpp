#pragma once
// lemu run --watch and lemu replay --watch: run the events, wait until the code (or the template) changes
// and the writes settle, run them again — a test loop on every rebuild — until Ctrl-C. Each round starts
// fresh environments, so each is a cold start on the new code. With --build, a source change runs the
// build first (code_watch). Replay prints its comparison summary after each round.

#include <lemu/app/code_watch.hpp>
#include <lemu/app/run_command.hpp>

#include <filesystem>
#include <functional>

namespace lemu::app {

// Runs `first`, then after each settled change `next()` (the options made anew: a re-read template); a
// usage error from next() or from the run is printed and the loop waits for the next change. Returns the
// last round's exit code (130 when Ctrl-C stopped a round; the last finished round's when it stopped the
// wait).
int run_watching(run_options first, const std::function<run_options()>& next, const watch_settings& settings,
                 const std::filesystem::path& template_file);

} // namespace lemu::app
