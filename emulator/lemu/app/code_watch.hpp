#pragma once
// --watch for lemu run, replay and serve: what to watch, what to do when it changes.
//
// Two watchers (watch::file_watcher, each reporting a burst once writes settle):
//   code     the functions' code folders, their layers and the template: a settled change is reported to
//            `on_change` (the caller reloads; a template among the paths means: re-read it);
//   sources  with --build only: the project tree (build outputs, target/, .aws-sam/, .git, node_modules
//            left out): a settled change runs the build command (`sh -c CMD` in the project folder, its
//            output on stderr prefixed "build: "). While a build runs, code changes are held; when it
//            succeeds they are reported (with the build's time); when it fails they are dropped and the
//            running code keeps serving. A source change during a build runs it once more afterwards.
// Nothing here throws into Asio; a watch that cannot be set up throws from watch_code() / start().

#include <lemu/app/output.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/watch/file_watcher.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lemu::process {
class child;
}

namespace lemu::app {

struct watch_settings {
  bool enabled = false;                    // --watch
  std::chrono::milliseconds debounce{200}; // --watch-debounce MS
  std::string build_command;               // --build 'CMD' ("" : none)
  std::filesystem::path project_root;      // where the build runs and whose changes run it
};

struct code_change {
  std::vector<std::filesystem::path> paths;  // what changed (the code watcher's burst)
  bool template_changed = false;             // the template is among them
  std::chrono::steady_clock::time_point settled; // when the writes settled (the reload's start)
  std::optional<std::chrono::milliseconds> build_time; // the build that made it, if any
};

// The folders the functions are made of, sorted, once each: every task root, a bootstrap's folder when it
// is not the task root, and the layers.
std::vector<std::filesystem::path> code_trees(const std::vector<const core::function_config*>& functions);

// "PATH" or "PATH and N more": the change in a log line, naming a path that still exists when one does (not
// the temporary file a build renamed over the bootstrap).
std::string describe(const code_change& c);

class code_watch {
public:
  code_watch(boost::asio::any_io_executor ex, output& out, watch_settings settings);
  ~code_watch();
  code_watch(const code_watch&) = delete;
  code_watch& operator=(const code_watch&) = delete;

  // What the code watcher watches from now on (replacing what it watched): folders (each with its
  // subfolders) and single files; `template_file` ("" : none) is watched as a file and marks a change.
  // Throws std::system_error when one cannot be watched.
  void watch_code(const std::vector<std::filesystem::path>& trees, const std::filesystem::path& template_file);

  void start(std::function<void(const code_change&)> on_change);
  void stop();

  bool building() const { return static_cast<bool>(m_build); }

private:
  void on_code(const watch::change& c);
  void on_sources(const watch::change& c);
  void run_build();
  void build_done(int status);

  boost::asio::any_io_executor m_ex;
  output& m_out;
  watch_settings m_settings;
  watch::file_watcher m_code;
  std::unique_ptr<watch::file_watcher> m_sources;
  std::filesystem::path m_template;
  std::function<void(const code_change&)> m_on_change;
  std::shared_ptr<process::child> m_build;
  std::chrono::steady_clock::time_point m_build_started;
  bool m_build_again = false;
  std::optional<code_change> m_held; // code changes seen while the build ran
  bool m_stopped = false;
};

} // namespace lemu::app
