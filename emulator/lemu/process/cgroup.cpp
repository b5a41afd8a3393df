#include <lemu/process/cgroup.hpp>

#include <lemu/process/proc_files.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace lemu::process {

namespace {

// ---- small file helpers ---------------------------------------------------------------------------------

bool write_small(const std::string& path, std::string_view value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  errno = err;
  return n == static_cast<ssize_t>(value.size());
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::uint64_t to_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  std::uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::uint64_t read_number(const std::string& path) { return to_number(read_small_file(path).value_or("")); }

// The value of `key` in a "key value" per line file (memory.events, memory.oom_control).
std::uint64_t keyed_value(const std::string& text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line(text.data() + pos, end - pos);
    if (line.substr(0, key.size()) == key && line.size() > key.size() && line[key.size()] == ' ') {
      return to_number(line.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return 0;
}

std::vector<pid_t> read_pids(const std::string& path) {
  std::vector<pid_t> out;
  const std::string text = read_small_file(path).value_or("");
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    pid_t pid = 0;
    const auto [next, ec] = std::from_chars(p, end, pid);
    if (ec == std::errc() && pid > 0) out.push_back(pid);
    p = next + 1;
  }
  return out;
}

// ---- where lemu may make cgroups ------------------------------------------------------------------------

struct hierarchies {
  std::optional<std::string> v2;             // lemu's own cgroup in the unified hierarchy
  bool v2_memory = false;                    // its children get the memory controller
  std::optional<std::string> v1_memory;      // lemu's own memory cgroup (v1)
  std::optional<std::string> v1_freezer;     // lemu's own freezer cgroup (v1)
  std::optional<std::string> v1_cpu;         // lemu's own cpu cgroup (v1)
  bool v2_cpu = false;                       // v2 children get the cpu controller
  bool v2_usable = true, v1_usable = true;   // cleared when making or joining one failed
};

// Mount point of each cgroup filesystem, from /proc/self/mountinfo, with its root.
struct mount {
  std::string point, root;
};

std::string own_directory(const mount& m, const std::string& path) {
  std::string rel = path;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  std::string dir = m.point + (rel == "/" ? std::string() : rel);
  if (!exists(dir)) dir = m.point; // lemu's own group is not visible here: use the mount's root
  return dir;
}

hierarchies probe() {
  hierarchies h;
  std::optional<mount> v2_mount, memory_mount, freezer_mount, cpu_mount;
  std::istringstream mounts(read_small_file("/proc/self/mountinfo").value_or(""));
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    std::size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 3 >= f.size()) continue; // ... mount-point ... - fstype source super-options
    const std::string& type = f[dash + 1];
    const std::string options = "," + f[dash + 3] + ",";
    const mount m{f[4], f[3]};
    if (type == "cgroup2" && !v2_mount) v2_mount = m;
    if (type == "cgroup" && options.find(",memory,") != std::string::npos && !memory_mount) memory_mount = m;
    if (type == "cgroup" && options.find(",freezer,") != std::string::npos && !freezer_mount) freezer_mount = m;
    if (type == "cgroup" && options.find(",cpu,") != std::string::npos && !cpu_mount) cpu_mount = m;
  }
  std::istringstream groups(read_small_file("/proc/self/cgroup").value_or(""));
  for (std::string line; std::getline(groups, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    const std::string path = line.substr(b + 1);
    if (line.substr(0, a) == "0" && controllers == ",," && v2_mount) h.v2 = own_directory(*v2_mount, path);
    if (controllers.find(",memory,") != std::string::npos && memory_mount) h.v1_memory = own_directory(*memory_mount, path);
    if (controllers.find(",freezer,") != std::string::npos && freezer_mount) h.v1_freezer = own_directory(*freezer_mount, path);
    if (controllers.find(",cpu,") != std::string::npos && cpu_mount) h.v1_cpu = own_directory(*cpu_mount, path);
  }
  if (h.v2) {
    const std::string control = " " + read_small_file(*h.v2 + "/cgroup.subtree_control").value_or("") + " ";
    h.v2_memory = control.find(" memory ") != std::string::npos || control.find(" memory\n") != std::string::npos;
    h.v2_cpu = control.find(" cpu ") != std::string::npos || control.find(" cpu\n") != std::string::npos;
  }
  return h;
}

// Empty groups named lemu-PID-N whose lemu is gone (lemu and its watchdog both killed at once): removed, so
// that they do not pile up. A group that still has members is left alone (rmdir fails on it).
void remove_stale_groups(const std::optional<std::string>& parent) {
  if (!parent) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(*parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("lemu-")) continue;
    pid_t pid = 0;
    const auto [end, err] = std::from_chars(name.data() + 5, name.data() + name.size(), pid);
    if (err != std::errc() || *end != '-' || pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) ::rmdir(entry.path().c_str());
  }
}

hierarchies& known() {
  static hierarchies h = [] {
    hierarchies found = probe();
    for (const auto* parent : {&found.v2, &found.v1_memory, &found.v1_freezer, &found.v1_cpu}) remove_stale_groups(*parent);
    return found;
  }();
  return h;
}

bool disabled() {
  const char* v = std::getenv("LEMU_NO_CGROUP");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// Directories that could not be removed yet (their last processes were still exiting): retried later.
// A namespace-scope object defined before the sweeper below, so that it is destroyed after it (a function's
// static, made on first use, would be destroyed first and the sweeper would read a dead vector).
std::vector<std::string> g_leftovers;
std::vector<std::string>& leftovers() { return g_leftovers; }

void remove_leftovers() {
  auto& dirs = leftovers();
  std::erase_if(dirs, [](const std::string& d) { return ::rmdir(d.c_str()) == 0 || errno == ENOENT; });
}

// At exit, what is left gets a last chance, waiting a little for killed processes to go.
struct leftover_sweeper {
  ~leftover_sweeper() {
    for (int i = 0; i < 100 && !leftovers().empty(); ++i) {
      remove_leftovers();
      if (!leftovers().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
} sweeper_at_exit;

std::optional<std::string> make_dir(const std::string& parent, std::string_view name) {
  const std::string dir = parent + "/" + std::string(name);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    spdlog::debug("cgroup: cannot create {}: {}", dir, std::strerror(errno));
    return std::nullopt;
  }
  return dir;
}

void remove_dir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) leftovers().push_back(dir);
}

// The CPU quota of `cpu_share` cores (v1 cpu.cfs_quota_us or v2 cpu.max) over a 100 ms period.
constexpr std::uint64_t cpu_period_us = 100000;
std::uint64_t cpu_quota_us(double cpu_share) {
  return std::max<std::uint64_t>(1000, static_cast<std::uint64_t>(cpu_share * static_cast<double>(cpu_period_us)));
}

std::unique_ptr<cgroup> try_v2(std::string_view name, std::uint64_t limit, bool with_memory, double cpu_share) {
  hierarchies& h = known();
  if (!h.v2 || !h.v2_usable || (with_memory && !h.v2_memory)) return nullptr;
  auto dir = make_dir(*h.v2, name);
  if (!dir) {
    h.v2_usable = false;
    return nullptr;
  }
  if (with_memory) {
    if (!write_small(*dir + "/memory.max", std::to_string(limit))) {
      remove_dir(*dir);
      return nullptr;
    }
    write_small(*dir + "/memory.swap.max", "0"); // where swap is accounted: none, as in Lambda
  }
  auto g = std::make_unique<cgroup>(with_memory ? cgroup_kind::v2 : cgroup_kind::v2_tracking, std::vector<std::string>{*dir});
  if (cpu_share > 0 && h.v2_cpu) {
    g->set_cpu_limited(write_small(*dir + "/cpu.max", std::to_string(cpu_quota_us(cpu_share)) + " " + std::to_string(cpu_period_us)));
  }
  return g;
}

std::unique_ptr<cgroup> try_v1(std::string_view name, std::uint64_t limit, double cpu_share) {
  hierarchies& h = known();
  if (!h.v1_memory || !h.v1_usable) return nullptr;
  auto dir = make_dir(*h.v1_memory, name);
  if (!dir) {
    h.v1_usable = false;
    return nullptr;
  }
  if (!write_small(*dir + "/memory.limit_in_bytes", std::to_string(limit))) {
    remove_dir(*dir);
    h.v1_usable = false;
    return nullptr;
  }
  if (exists(*dir + "/memory.memsw.limit_in_bytes")) write_small(*dir + "/memory.memsw.limit_in_bytes", std::to_string(limit));
  std::vector<std::string> dirs{*dir};
  bool freezer = false, cpu = false;
  if (h.v1_freezer) {
    if (auto f = make_dir(*h.v1_freezer, name)) {
      dirs.push_back(*f);
      freezer = true;
    }
  }
  if (cpu_share > 0 && h.v1_cpu && *h.v1_cpu != *dir && (!freezer || *h.v1_cpu != dirs[1])) {
    if (auto c = make_dir(*h.v1_cpu, name)) {
      if (write_small(*c + "/cpu.cfs_period_us", std::to_string(cpu_period_us)) &&
          write_small(*c + "/cpu.cfs_quota_us", std::to_string(cpu_quota_us(cpu_share)))) {
        dirs.push_back(*c);
        cpu = true;
      } else {
        remove_dir(*c);
      }
    }
  }
  auto g = std::make_unique<cgroup>(cgroup_kind::v1, std::move(dirs), freezer);
  g->set_cpu_limited(cpu);
  return g;
}

} // namespace

cgroup::cgroup(cgroup_kind kind, std::vector<std::string> dirs, bool freezer)
    : m_kind(kind), m_dirs(std::move(dirs)), m_freezer(freezer) {
  for (const auto& d : m_dirs) {
    const int fd = ::open((d + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) m_join.push_back(fd);
  }
}

std::unique_ptr<cgroup> cgroup::create(std::string_view name, std::uint64_t memory_limit_bytes, double cpu_share) {
  if (disabled()) return nullptr;
  remove_leftovers();
  std::unique_ptr<cgroup> g = try_v2(name, memory_limit_bytes, true, cpu_share);
  if (!g) g = try_v1(name, memory_limit_bytes, cpu_share);
  if (!g) g = try_v2(name, memory_limit_bytes, false, cpu_share);
  if (g && g->m_join.size() != g->m_dirs.size()) {
    spdlog::debug("cgroup: cannot open {}/cgroup.procs", g->m_dirs.front());
    (g->m_kind == cgroup_kind::v1 ? known().v1_usable : known().v2_usable) = false;
    return nullptr;
  }
  return g;
}

cgroup::~cgroup() {
  for (int fd : m_join) ::close(fd);
  kill_all();
  for (const auto& d : m_dirs) remove_dir(d);
}

cgroup::usage cgroup::read_usage() {
  usage u;
  switch (m_kind) {
  case cgroup_kind::v2:
    u.current_bytes = read_number(memory_file("memory.current"));
    if (const auto peak = read_small_file(memory_file("memory.peak"))) {
      u.peak_bytes = to_number(*peak);
    } else {
      m_peak_seen = std::max(m_peak_seen, u.current_bytes);
      u.peak_bytes = m_peak_seen;
    }
    u.oom_kills = keyed_value(read_small_file(memory_file("memory.events")).value_or(""), "oom_kill");
    break;
  case cgroup_kind::v1:
    u.current_bytes = read_number(memory_file("memory.usage_in_bytes"));
    u.peak_bytes = read_number(memory_file("memory.max_usage_in_bytes"));
    u.oom_kills = keyed_value(read_small_file(memory_file("memory.oom_control")).value_or(""), "oom_kill");
    break;
  case cgroup_kind::v2_tracking: break;
  }
  return u;
}

std::vector<pid_t> cgroup::members() const { return read_pids(m_dirs.front() + "/cgroup.procs"); }

bool cgroup::has_member(pid_t pid) const {
  for (pid_t p : members()) {
    if (p == pid) return true;
  }
  return false;
}

void cgroup::kill_all() {
  if (m_kind != cgroup_kind::v1) {
    if (write_small(m_dirs.front() + "/cgroup.kill", "1")) return; // the kernel kills every member at once
  }
  const bool freezer = m_kind == cgroup_kind::v1 && m_freezer;
  // Nothing left in either group: nothing can fork into it either, so there is nothing to freeze or kill (the
  // common case: kill_all() runs at the runtime's exit and again as the environment goes away).
  if (members().empty() && (!freezer || read_pids(m_dirs[1] + "/cgroup.procs").empty())) return;
  const std::string freezer_state = freezer ? m_dirs[1] + "/freezer.state" : std::string();
  if (freezer && write_small(freezer_state, "FROZEN")) {
    // Frozen members cannot fork: one pass kills them all. Freezing completes quickly; bounded wait.
    for (int i = 0; i < 1000; ++i) {
      const auto state = read_small_file(freezer_state).value_or("");
      if (state.rfind("FROZEN", 0) == 0) break;
      std::this_thread::yield();
    }
    for (pid_t p : read_pids(m_dirs[1] + "/cgroup.procs")) ::kill(p, SIGKILL);
    write_small(freezer_state, "THAWED");
  }
  // Without a freezer (or to catch what joined the memory group only): kill until no member is left.
  for (int round = 0; round < 50; ++round) {
    const auto pids = members();
    if (pids.empty()) break;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    if (round > 0) std::this_thread::yield();
  }
}

std::string why_no_cpu_quota() {
  if (disabled()) return "LEMU_NO_CGROUP=1: no cgroup";
  const hierarchies& h = known();
  if (h.v2 && h.v2_usable && h.v2_memory) return h.v2_cpu ? "" : "the cgroup v2 lemu runs in does not delegate the cpu controller";
  if (h.v1_memory && h.v1_usable) return h.v1_cpu ? "" : "no cgroup v1 cpu hierarchy is mounted";
  if (h.v2 && h.v2_usable) return h.v2_cpu ? "" : "the cgroup v2 lemu runs in does not delegate the cpu controller";
  return "no cgroup can be created here";
}

std::string describe_containment() {
  if (disabled()) return "process group and tree watcher (LEMU_NO_CGROUP)";
  const hierarchies& h = known();
  if (h.v2 && h.v2_usable && h.v2_memory) return "cgroup v2 (memory.max, memory.peak)";
  if (h.v1_memory && h.v1_usable) return "cgroup v1 (memory.limit_in_bytes, memory.max_usage_in_bytes)";
  if (h.v2 && h.v2_usable) return "cgroup v2 without the memory controller, and the tree watcher for memory";
  return "process group and tree watcher (no cgroup can be created here)";
}

} // namespace lemu::process
