#include <lemu/process/containment.hpp>

#include <lemu/process/proc_files.hpp>
#include <lemu/process/watchdog.hpp>

#include <spdlog/spdlog.h>

#include <signal.h>
#include <unistd.h>


namespace lemu::process {

std::string next_containment_name() {
  static unsigned counter = 0;
  return "lemu-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

containment::containment(std::string_view name, std::uint64_t memory_limit_bytes, double cpu_share)
    : m_limit(memory_limit_bytes), m_cgroup(cgroup::create(name, memory_limit_bytes, cpu_share)) {
  if (m_cgroup) {
    m_oom_kills_at_start = m_cgroup->read_usage().oom_kills;
    for (const auto& d : m_cgroup->directories()) watchdog::track_cgroup(d);
  }
}

containment::~containment() {
  kill_all();
  if (m_root > 0) watchdog::untrack_group(m_root);
  if (m_cgroup) {
    const auto dirs = m_cgroup->directories();
    m_cgroup.reset(); // kills what is left and removes the directories
    for (const auto& d : dirs) watchdog::untrack_cgroup(d);
  }
}

std::vector<int> containment::join_descriptors() const {
  return m_cgroup ? m_cgroup->join_descriptors() : std::vector<int>{};
}

void containment::attach(pid_t runtime, bool joined) {
  m_root = runtime;
  watchdog::track_group(runtime);
  if (m_cgroup && !joined) {
    spdlog::warn("the runtime could not join its cgroup {}: watching its process tree instead",
                 m_cgroup->directories().front());
    m_cgroup.reset();
  }
  if (!m_cgroup) m_watch.emplace(runtime);
}

containment::reading containment::sample() {
  reading r;
  if (m_cgroup && m_cgroup->has_memory()) {
    const auto u = m_cgroup->read_usage();
    r.peak_bytes = u.peak_bytes;
    r.current_bytes = u.current_bytes;
    r.over_limit = u.oom_kills > m_oom_kills_at_start;
    return r;
  }
  if (m_cgroup) {
    // A cgroup without the memory controller holds every process: sum their own figures.
    for (pid_t p : m_cgroup->members()) {
      const auto m = process_memory(p);
      r.peak_bytes += m.peak_bytes;
      r.current_bytes += m.current_bytes;
    }
  } else if (m_watch) {
    const auto s = m_watch->take();
    r.peak_bytes = s.peak_bytes;
    r.current_bytes = s.current_bytes;
  }
  r.over_limit = r.current_bytes > m_limit;
  return r;
}

void containment::kill_all() {
  if (m_root <= 0) return;
  ::kill(-m_root, SIGKILL);
  if (m_cgroup) m_cgroup->kill_all();
  if (m_watch) m_watch->kill_all();
}

void containment::terminate_group() {
  if (m_root > 0) ::kill(-m_root, SIGTERM);
}

const char* containment::method() const {
  if (!m_cgroup) return "watcher";
  switch (m_cgroup->kind()) {
  case cgroup_kind::v2: return "cgroup v2";
  case cgroup_kind::v1: return "cgroup v1";
  case cgroup_kind::v2_tracking: return "cgroup v2 + watcher";
  }
  return "watcher";
}

} // namespace lemu::process
