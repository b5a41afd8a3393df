#include <lemu/watch/file_watcher.hpp>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace lemu::watch {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::steady_clock;

namespace {

// What changes a file: IN_MODIFY too, so that a long write (a linker) keeps restarting the debounce.
constexpr std::uint32_t file_events =
    IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_MODIFY;
// IN_IGNORED (the watch is gone) comes without asking.
constexpr std::uint32_t watch_mask = file_events | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool editor_dropping(std::string_view name) {
  return name.starts_with(".#") || name.ends_with("~") || name.ends_with(".swp") || name.ends_with(".swx") ||
         name == "4913"; // vim's probe for a writable folder
}

fs::path absolute_normal(const fs::path& p) {
  fs::path out = fs::absolute(p).lexically_normal();
  if (!out.has_filename() && out != out.root_path()) out = out.parent_path(); // "/a/b/" -> "/a/b"
  return out;
}

// `p` is `dir` or below it.
bool is_under(const fs::path& p, const fs::path& dir) {
  return std::mismatch(dir.begin(), dir.end(), p.begin(), p.end()).first == dir.end();
}

// The std::system_error of an inotify_add_watch that failed with `err`.
std::system_error watch_error(int err, const std::string& what) {
  std::string message = what;
  if (err == ENOSPC) message += " (the inotify watch limit is reached: raise fs.inotify.max_user_watches (sysctl))";
  return std::system_error(err, std::system_category(), message);
}

} // namespace

struct file_watcher::impl : std::enable_shared_from_this<impl> {
  // A watched folder (one inotify watch).
  struct folder {
    fs::path path;
    fs::path tree;               // the root of the tree it is watched for; empty: only for add_file's names
    std::set<std::string> files; // add_file's names in it
  };
  // How watch_tree treats what it finds.
  enum class walk {
    adding,  // add_tree: errors throw, nothing reported
    created, // a folder made inside a tree: everything in it is a change
    rescan,  // after a queue overflow: folders missed are watched, nothing reported
  };

  impl(const asio::any_io_executor& ex, watcher_options o)
      : options(std::move(o)), descriptor(ex), timer(ex) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      std::string what = "cannot start inotify";
      if (err == EMFILE)
        what += " (the per-user limit of inotify instances, or of open files, is reached: raise "
                "fs.inotify.max_user_instances (sysctl), or ulimit -n)";
      throw std::system_error(err, std::system_category(), what);
    }
    boost::system::error_code ec;
    descriptor.assign(fd, ec);
    if (ec) {
      ::close(fd);
      throw std::system_error(ec, "cannot start inotify");
    }
  }

  int fd() { return descriptor.native_handle(); }

  // --- watches ----------------------------------------------------------------------------------------------

  bool ignored(const fs::path& dir, std::string_view name) const {
    if (editor_dropping(name)) return true;
    for (const auto& entry : options.ignore_names) {
      if (entry.find('/') == std::string::npos) {
        if (name == entry) return true;
        continue;
      }
      // "target/debug": the last components of dir/name.
      const fs::path suffix = fs::path(entry).lexically_normal();
      const fs::path full = dir / std::string(name);
      auto s = std::distance(suffix.begin(), suffix.end()), f = std::distance(full.begin(), full.end());
      if (s > f) continue;
      auto from = full.begin();
      std::advance(from, f - s);
      if (std::equal(from, full.end(), suffix.begin(), suffix.end())) return true;
    }
    return false;
  }

  // Registers the watch `wd` on `dir`, for `tree` (empty: for add_file); true when it is a new one.
  bool remember(int wd, const fs::path& dir, const fs::path& tree) {
    auto [it, added] = folders.try_emplace(wd);
    folder& f = it->second;
    if (added) {
      f.path = dir;
      if (const auto named = files.find(dir); named != files.end()) f.files = named->second;
      wd_of[dir] = wd;
    }
    if (f.tree.empty() && !tree.empty()) {
      f.tree = tree;
      ++tree_size[tree];
    }
    return added;
  }

  // Forgets the watch `wd` (the kernel removed it, or is about to).
  void forget(int wd) {
    const auto it = folders.find(wd);
    if (it == folders.end()) return;
    if (!it->second.tree.empty()) {
      if (const auto size = tree_size.find(it->second.tree); size != tree_size.end() && size->second > 0)
        --size->second;
    }
    if (const auto by_path = wd_of.find(it->second.path); by_path != wd_of.end() && by_path->second == wd)
      wd_of.erase(by_path);
    folders.erase(it);
  }

  // Forgets the watches on `dir` and every folder below it (moved out, deleted, moved away).
  void forget_under(const fs::path& dir) {
    std::vector<int> gone;
    for (auto it = wd_of.lower_bound(dir); it != wd_of.end() && is_under(it->first, dir); ++it)
      gone.push_back(it->second);
    for (const int wd : gone) {
      ::inotify_rm_watch(fd(), wd); // EINVAL when the kernel has already removed it: fine
      forget(wd);
    }
  }

  // Watches `top` and every folder below it for `tree`. When it throws (walk::adding), what it did is undone.
  void watch_tree(const fs::path& top, const fs::path& tree, walk mode) {
    std::vector<int> added, promoted; // watches made; add_file's folders that became part of the tree
    try {
      watch_folders(top, tree, mode, added, promoted);
    } catch (...) {
      for (const int wd : added) {
        ::inotify_rm_watch(fd(), wd);
        forget(wd);
      }
      for (const int wd : promoted) {
        if (const auto it = folders.find(wd); it != folders.end() && it->second.tree == tree) {
          it->second.tree.clear();
          --tree_size[tree];
        }
      }
      throw;
    }
  }

  void watch_folders(const fs::path& top, const fs::path& tree, walk mode, std::vector<int>& added,
                     std::vector<int>& promoted) {
    std::vector<fs::path> stack{top};
    while (!stack.empty()) {
      const fs::path dir = std::move(stack.back());
      stack.pop_back();
      const bool root = mode == walk::adding && dir == top;
      const int wd = ::inotify_add_watch(fd(), dir.c_str(), watch_mask | (root ? 0u : std::uint32_t{IN_DONT_FOLLOW}));
      if (wd < 0) {
        const int err = errno;
        if (mode == walk::adding && (root || err == ENOSPC)) throw watch_error(err, "cannot watch " + dir.string());
        if (err == ENOSPC) {
          spdlog::warn("watch: {}: folders below it are not watched",
                       watch_error(err, "cannot watch " + dir.string()).what());
          return;
        }
        // Gone already, or replaced by a symlink or a file meanwhile: nothing to watch.
        if (err != ENOENT && err != ENOTDIR && err != ELOOP)
          spdlog::warn("watch: cannot watch {}: {}", dir.string(), std::strerror(err));
        continue;
      }
      const auto known = folders.find(wd);
      if (known != folders.end() && known->second.tree.empty()) promoted.push_back(wd);
      if (remember(wd, dir, tree)) {
        added.push_back(wd);
        if (tree_size[tree] > options.max_folders_per_tree) {
          const std::string what = "cannot watch " + tree.string() + ": more than " +
                                   std::to_string(options.max_folders_per_tree) +
                                   " folders in it (watch the function's code folder, not a whole project)";
          if (mode == walk::adding) throw std::system_error(std::make_error_code(std::errc::value_too_large), what);
          ::inotify_rm_watch(fd(), wd);
          forget(wd);
          added.pop_back();
          if (warned_size.insert(tree).second) spdlog::warn("watch: {}: new folders in it are not watched", what);
          return;
        }
      }
      if (mode == walk::created) note(dir);
      std::error_code ec;
      for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
           it.increment(ec)) {
        const fs::path& path = it->path();
        if (ignored(dir, path.filename().native())) continue;
        std::error_code status_ec;
        if (fs::is_directory(it->symlink_status(status_ec))) stack.push_back(path);
        else if (mode == walk::created) note(path);
      }
      if (ec && ec != std::errc::no_such_file_or_directory)
        spdlog::warn("watch: cannot list {}: {}: folders below it are not watched", dir.string(), ec.message());
    }
  }

  void add_tree(const fs::path& dir) {
    const fs::path root = absolute_normal(dir);
    watch_tree(root, root, walk::adding);
    trees.insert(root);
  }

  void add_file(const fs::path& file) {
    const fs::path path = absolute_normal(file);
    const fs::path dir = path.parent_path();
    const std::string name = path.filename().native();
    const int wd = ::inotify_add_watch(fd(), dir.c_str(), watch_mask);
    if (wd < 0) {
      const int err = errno;
      throw watch_error(err, "cannot watch " + path.string() + " (through its folder " + dir.string() + ")");
    }
    files[dir].insert(name);
    remember(wd, dir, {});
    folders[wd].files.insert(name);
  }

  void clear() {
    for (const auto& [wd, f] : folders) ::inotify_rm_watch(fd(), wd);
    folders.clear();
    wd_of.clear();
    trees.clear();
    files.clear();
    tree_size.clear();
    warned_size.clear();
    drop_burst();
  }

  // --- events -----------------------------------------------------------------------------------------------

  void start(callback cb) {
    on_change = std::move(cb);
    if (running) return;
    running = true;
    ++read_generation;
    // What came before start() (or while stopped) is read now: the reactor's epoll is edge-triggered, and
    // an edge with no wait pending would not be seen again.
    drain();
    wait_readable();
  }

  void stop() {
    running = false;
    on_change = nullptr; // the caller's captures go now (a copy lives on while it is being called)
    ++read_generation;
    boost::system::error_code ec;
    descriptor.cancel(ec);
    drop_burst();
  }

  void wait_readable() {
    descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                          [weak = weak_from_this(), generation = read_generation](const boost::system::error_code& ec) {
                            if (const auto self = weak.lock()) self->on_readable(generation, ec);
                          });
  }

  void on_readable(std::uint64_t generation, const boost::system::error_code& ec) {
    if (generation != read_generation || ec == asio::error::operation_aborted) return;
    try {
      if (ec) {
        spdlog::warn("watch: waiting for inotify failed: {}: no more changes are reported", ec.message());
        return;
      }
      drain(); // to the end: the reactor's epoll is edge-triggered
      if (generation == read_generation) wait_readable();
    } catch (const std::exception& e) {
      spdlog::warn("watch: reading inotify events: {}: no more changes are reported", e.what());
    } catch (...) {
      spdlog::warn("watch: reading inotify events: unknown exception: no more changes are reported");
    }
  }

  // Reads and handles every event queued.
  void drain() {
    for (;;) {
      const ssize_t n = ::read(fd(), buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          spdlog::warn("watch: reading inotify failed: {}", std::strerror(errno));
        return;
      }
      if (n == 0) return;
      handle_events(static_cast<std::size_t>(n));
    }
  }

  void handle_events(std::size_t size) {
    for (std::size_t at = 0; at + sizeof(inotify_event) <= size;) {
      inotify_event event;
      std::memcpy(&event, buffer.data() + at, sizeof event);
      const char* name_at = buffer.data() + at + sizeof event;
      const std::size_t room = std::min<std::size_t>(event.len, size - at - sizeof event);
      const std::string_view name(name_at, ::strnlen(name_at, room));
      at += sizeof event + event.len;
      try {
        handle(event, name);
      } catch (const std::exception& e) {
        spdlog::warn("watch: an event of {} was lost: {}", name, e.what());
      }
    }
  }

  void handle(const inotify_event& event, std::string_view name) {
    if (event.mask & IN_Q_OVERFLOW) {
      spdlog::warn("watch: too many events at once (the inotify queue overflowed): reporting everything as changed");
      for (const auto& tree : trees) note(tree, true);
      for (const auto& [dir, names] : files)
        for (const auto& n : names) note(dir / n, true);
      for (const auto& tree : trees) watch_tree(tree, tree, walk::rescan);
      return;
    }
    const auto it = folders.find(event.wd);
    if (it == folders.end()) return; // a watch forgotten meanwhile
    const fs::path dir = it->second.path;
    const fs::path tree = it->second.tree;
    const bool named_folder = trees.contains(dir) || files.contains(dir);
    if (event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
      if (event.mask & IN_MOVE_SELF) forget_under(dir); // its path, and its subfolders', are stale
      else forget(event.wd);
      if (named_folder) {
        spdlog::warn("watch: {} was {}: it is no longer watched", dir.string(),
                     event.mask & IN_MOVE_SELF ? "moved" : "removed");
        if (trees.contains(dir)) note(dir);
      }
      return;
    }
    if (name.empty()) return; // the folder's own attributes: its parent reports them, if watched
    const std::string file_name(name);
    const fs::path path = dir / file_name;
    const bool named = it->second.files.contains(file_name);
    if (tree.empty() || ignored(dir, name)) {
      if (named) note(path);
      return;
    }
    if (event.mask & IN_ISDIR) {
      if (event.mask & (IN_MOVED_FROM | IN_DELETE)) forget_under(path);
      if (event.mask & (IN_CREATE | IN_MOVED_TO)) watch_tree(path, tree, walk::created);
    }
    note(path);
  }

  // --- bursts -----------------------------------------------------------------------------------------------

  // `always`: kept even beyond max_paths_per_burst (the roots after an overflow: the caller must see them).
  void note(const fs::path& path, bool always = false) {
    const auto now = steady_clock::now();
    if (!in_burst) {
      in_burst = true;
      first_event = now;
    }
    last_event = now;
    if (always || pending.size() < options.max_paths_per_burst) {
      pending.insert(path);
    } else if (!truncated && !pending.contains(path)) {
      truncated = true;
      spdlog::warn("watch: more than {} paths changed at once: the change lists the first {}",
                   options.max_paths_per_burst, options.max_paths_per_burst);
    }
    if (!timer_armed) arm_timer(last_event + options.debounce);
  }

  // The timer is armed once per burst and re-armed when it fires early (events came meanwhile): no cancel
  // per event.
  void arm_timer(steady_clock::time_point at) {
    timer_armed = true;
    timer.expires_at(at);
    timer.async_wait([weak = weak_from_this(), generation = timer_generation](const boost::system::error_code& ec) {
      const auto self = weak.lock();
      if (!self || generation != self->timer_generation || ec == asio::error::operation_aborted) return;
      try {
        self->on_timer();
      } catch (const std::exception& e) {
        spdlog::warn("watch: reporting a change: {}", e.what());
      } catch (...) {
        spdlog::warn("watch: reporting a change: unknown exception");
      }
    });
  }

  void on_timer() {
    timer_armed = false;
    if (!in_burst || !running) return;
    drain(); // events the kernel has but the read handler has not had yet belong to this burst
    if (timer_armed) return; // drain() had some: note() armed the timer again
    const auto settle_at = last_event + options.debounce;
    if (steady_clock::now() < settle_at) {
      arm_timer(settle_at);
      return;
    }
    change c{{pending.begin(), pending.end()}, first_event, steady_clock::now()};
    drop_burst();
    auto cb = on_change; // a copy: the callback may stop() or destroy the watcher
    const auto keep_alive = shared_from_this();
    if (!cb) return;
    try {
      cb(c);
    } catch (const std::exception& e) {
      spdlog::warn("watch: the change callback failed: {}", e.what());
    } catch (...) {
      spdlog::warn("watch: the change callback failed with an unknown exception");
    }
  }

  void drop_burst() {
    pending.clear();
    in_burst = false;
    truncated = false;
    timer_armed = false;
    ++timer_generation;
    timer.cancel(); // throws only for what a timer cannot fail at
  }

  watcher_options options;
  asio::posix::stream_descriptor descriptor;
  asio::steady_timer timer;
  std::unordered_map<int, folder> folders;              // by watch descriptor
  std::map<fs::path, int> wd_of;                        // the same, by path (a folder's subfolders follow it)
  std::set<fs::path> trees;                             // add_tree's roots
  std::map<fs::path, std::set<std::string>> files;      // add_file's names, by folder (kept for a folder made again)
  std::map<fs::path, std::size_t> tree_size;            // folders watched, by tree
  std::set<fs::path> warned_size;
  callback on_change;
  bool running = false;
  std::uint64_t read_generation = 0, timer_generation = 0;
  std::set<fs::path> pending;
  bool in_burst = false, truncated = false, timer_armed = false;
  steady_clock::time_point first_event, last_event;
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
};

file_watcher::file_watcher(asio::any_io_executor ex, watcher_options options)
    : m_impl(std::make_shared<impl>(ex, std::move(options))) {}

file_watcher::~file_watcher() {
  try {
    if (m_impl) m_impl->stop();
  } catch (const std::exception& e) {
    spdlog::warn("watch: stopping: {}", e.what());
  }
}

void file_watcher::add_tree(const fs::path& dir) { m_impl->add_tree(dir); }
void file_watcher::add_file(const fs::path& file) { m_impl->add_file(file); }
void file_watcher::clear() { m_impl->clear(); }
void file_watcher::start(callback on_change) { m_impl->start(std::move(on_change)); }
void file_watcher::stop() { m_impl->stop(); }

} // namespace lemu::watch
