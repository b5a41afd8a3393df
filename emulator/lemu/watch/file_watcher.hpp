#pragma once
// --watch: inotify on the folders and files a function is made of (its code folder, its layers, the
// template), reporting a change once writes have settled (so a linker's half-written file is never acted on).
//
//   watch::file_watcher w(ex, {.debounce = 200ms});
//   w.add_tree("/work/target/lambda/orders");     // the folder and every folder below it, now and later
//   w.add_file("/work/template.yaml");           // one file (watched through its folder: survives rename)
//   w.start([](const watch::change& c) { ... c.paths ... });   // called on ex, once per settled burst
//
// A burst: the first event starts the debounce timer; every further event restarts it; when `debounce`
// passes with no event, the callback gets every path that changed, once each, sorted. Events: a file
// written and closed, created, moved in or out, deleted, its mode changed (chmod +x). Reads and opens are
// not changes. Files and folders whose name starts with '.' and ends in ".swp"/"~" (editor droppings) are
// ignored, as are paths under an ignored folder name (`ignore_names`, default: .git, node_modules, target/debug,
// target/release... see file_watcher.cpp). A folder created inside a watched tree is watched too. The
// callback never throws into Asio (an exception from it is logged and dropped).

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lemu::watch {

struct change {
  std::vector<std::filesystem::path> paths; // what changed in the burst, absolute, sorted, once each
  std::chrono::steady_clock::time_point first_event, settled; // the burst's first event; when it settled
};

struct watcher_options {
  std::chrono::milliseconds debounce{200};
  std::vector<std::string> ignore_names{".git", "node_modules", ".aws-sam-cache"};
};

class file_watcher {
public:
  // Throws std::system_error when inotify cannot be had (the per-user instance limit).
  file_watcher(boost::asio::any_io_executor ex, watcher_options options = {});
  ~file_watcher();
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  // Watches `dir` and every folder below it (folders in ignore_names skipped). Throws std::system_error
  // naming the folder when it cannot be watched (missing, or the inotify watch limit: the message says
  // which sysctl to raise).
  void add_tree(const std::filesystem::path& dir);
  // Watches one file, through its folder (a rename over it, as editors and linkers do, is seen); only events
  // about this name are reported from that folder unless the folder is also watched as a tree.
  void add_file(const std::filesystem::path& file);
  // Forgets every watch (the template changed: the caller adds the new set).
  void clear();

  using callback = std::function<void(const change&)>;
  void start(callback on_change);
  void stop(); // no callback after this returns

private:
  struct impl;
  std::shared_ptr<impl> m_impl;
};

} // namespace lemu::watch
