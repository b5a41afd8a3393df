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
// written and closed, written to (a linker writing for seconds keeps the burst open), created, moved in or
// out, deleted, its mode changed (chmod +x). Reads and opens are not changes. At most max_paths_per_burst
// paths are kept per burst (the first ones; the rest are dropped with a warning: the caller reloads anyway).
//
// Ignored: editor droppings (names starting with ".#", ending in "~", ".swp" or ".swx", and vim's probe file
// "4913"), and everything under a folder named in `ignore_names` (an entry with a '/', "target/debug",
// matches a folder whose path ends so). What was named explicitly (add_tree's folder, add_file's file) is
// watched even when its own name is one of those.
//
// Inside a tree: a folder created (or moved in) later is watched too, and what is already in it counts as
// changed (files made before its watch was in place are not missed); a folder deleted or moved out is
// forgotten; symlinked folders are not followed (no loops). A watched folder that disappears is forgotten
// (a warning names it when it was a tree's root or an add_file's folder); made again inside a watched tree,
// it is watched again, add_file's names in it included. A root's own deletion is reported as its path.
// When the kernel's event queue overflows, the change lists every tree root and file (something changed:
// reload everything; these are listed even beyond max_paths_per_burst), and the trees are walked again for
// folders made meanwhile.
//
// Everything runs on the executor given (one thread, no locking): call the member functions there. The
// callback never throws into Asio (an exception from it is logged and dropped); it may call any member
// function, and may destroy the watcher.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lemu::watch {

struct change {
  std::vector<std::filesystem::path> paths; // what changed in the burst: absolute, lexically normal, sorted, once each
  std::chrono::steady_clock::time_point first_event, settled; // the burst's first event; when it settled
};

struct watcher_options {
  std::chrono::milliseconds debounce{200};
  std::vector<std::string> ignore_names{".git", "node_modules", ".aws-sam-cache"};
  std::size_t max_folders_per_tree = 10000; // add_tree throws beyond (a tree that large is the wrong folder)
  std::size_t max_paths_per_burst = 4096;
};

class file_watcher {
public:
  // Throws std::system_error when inotify cannot be had (the per-user instance limit: the message says to
  // raise fs.inotify.max_user_instances).
  file_watcher(boost::asio::any_io_executor ex, watcher_options options = {});
  ~file_watcher(); // stop()s
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  // Watches `dir` and every folder below it (folders in ignore_names skipped). Throws std::system_error
  // naming the folder when it cannot be watched (missing, not a folder, more than max_folders_per_tree
  // folders, or the inotify watch limit: the message says which sysctl to raise); then nothing of the tree
  // stays watched. A subfolder that cannot be read is skipped with a warning.
  void add_tree(const std::filesystem::path& dir);
  // Watches one file, through its folder (a rename over it, as editors and linkers do, is seen); only events
  // about this name are reported from that folder unless the folder is also watched as a tree. The file
  // need not exist; its folder must (std::system_error otherwise).
  void add_file(const std::filesystem::path& file);
  // Forgets every watch, and the burst in progress (the template changed: the caller adds the new set).
  void clear();

  using callback = std::function<void(const change&)>;
  // Starts reading events (those since the watches were added included). Again after stop(): resumes.
  void start(callback on_change);
  void stop(); // no callback after this returns; the burst in progress is dropped; the watches stay

private:
  struct impl;
  std::shared_ptr<impl> m_impl;
};

} // namespace lemu::watch
