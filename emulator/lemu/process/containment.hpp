#pragma once
// Everything one runtime started, held in one place so that it can be measured and killed whole: a
// cgroup where one can be made (cgroup.hpp), else the tree watcher (tree_watch.hpp). The runtime's
// process group is killed in either case. Which method runs is method() (also in the summary and README).

#include <lemu/process/cgroup.hpp>
#include <lemu/process/tree_watch.hpp>

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::process {

class containment {
public:
  // Makes the cgroup (when possible) before the runtime starts.
  // `cpu_share` > 0: a CPU quota of that many cores, where the cgroup has the cpu controller.
  containment(std::string_view name, std::uint64_t memory_limit_bytes, double cpu_share = 0);
  ~containment();
  containment(const containment&) = delete;
  containment& operator=(const containment&) = delete;

  // cgroup.procs descriptors the new process joins before exec (empty without a cgroup).
  std::vector<int> join_descriptors() const;
  // The runtime started (its pid is its process group). `joined` is false when it could not join the
  // cgroup: the watcher takes over.
  void attach(pid_t runtime, bool joined);

  struct reading {
    std::uint64_t peak_bytes = 0;    // Max Memory Used so far
    std::uint64_t current_bytes = 0; // now
    bool over_limit = false;         // the kernel killed a process for memory, or (watcher) current > limit
  };
  reading sample();

  // SIGKILL to the process group and to every other process of the runtime's.
  void kill_all();
  // SIGTERM to the runtime's process group (the grace before kill_all()).
  void terminate_group();

  bool limits_cpu() const { return m_cgroup && m_cgroup->cpu_limited(); }
  bool kernel_limits_memory() const { return m_cgroup && m_cgroup->has_memory(); }
  // "cgroup v1", "cgroup v2", "cgroup v2 + watcher", "watcher"
  const char* method() const;

private:
  std::uint64_t m_limit;
  std::unique_ptr<cgroup> m_cgroup;
  std::optional<tree_watch> m_watch; // without a cgroup, or when it does not measure memory
  pid_t m_root = -1;
  std::uint64_t m_oom_kills_at_start = 0;
};

// A name unique in this lemu process for a new cgroup: "lemu-<pid>-<n>".
std::string next_containment_name();

} // namespace lemu::process
