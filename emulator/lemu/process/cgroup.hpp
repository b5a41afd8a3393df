#pragma once
// A control group for one runtime (DESIGN.md §2 "Memory"): every process the runtime starts stays in it,
// even one that calls setsid() or is orphaned, so its memory limit, its peak and the final kill cover the
// whole tree. Made under the cgroup lemu itself runs in, in the first hierarchy that allows it:
//
//   cgroup v2 with the memory controller   memory.max, memory.peak, memory.events oom_kill, cgroup.kill
//   cgroup v1 memory (+ freezer)           memory.limit_in_bytes, memory.max_usage_in_bytes, memory.oom_control;
//                                          killed by freezing, SIGKILL to every member, thawing (race-free)
//   cgroup v2 without memory               tracking and cgroup.kill only: memory is summed from /proc over
//                                          its members by lemu's 20 ms watcher (has_memory() is false)
//
// None of these (no cgroup filesystem, no permission, LEMU_NO_CGROUP=1): create() returns nullptr and the
// caller watches the process tree instead. Single-threaded; every call is a few small file operations.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::process {

enum class cgroup_kind { v2, v1, v2_tracking };

class cgroup {
public:
  // A new cgroup named `name` (unique per lemu process) limited to `memory_limit_bytes`, or nullptr. With
  // `cpu_share` > 0, also a CPU quota of that many cores where the cpu controller is there (cpu_limited()).
  static std::unique_ptr<cgroup> create(std::string_view name, std::uint64_t memory_limit_bytes, double cpu_share = 0);
  ~cgroup(); // kills what is left, then removes the directories (best effort)
  cgroup(const cgroup&) = delete;
  cgroup& operator=(const cgroup&) = delete;

  cgroup_kind kind() const { return m_kind; }
  bool has_memory() const { return m_kind != cgroup_kind::v2_tracking; }
  // What a new process writes "0" into before exec to join every hierarchy (cgroup.procs, write-only,
  // close-on-exec).
  const std::vector<int>& join_descriptors() const { return m_join; }

  struct usage {
    std::uint64_t current_bytes = 0;
    std::uint64_t peak_bytes = 0;
    std::uint64_t oom_kills = 0; // processes the kernel killed for going over the limit, ever
  };
  usage read_usage();
  std::vector<pid_t> members() const;
  bool has_member(pid_t pid) const;
  // SIGKILL to every member (at once for v2; frozen first for v1 when the freezer is there).
  void kill_all();
  // The directories, for the watchdog and messages.
  const std::vector<std::string>& directories() const { return m_dirs; }

  bool cpu_limited() const { return m_cpu_limited; }
  void set_cpu_limited(bool v) { m_cpu_limited = v; }

  cgroup(cgroup_kind kind, std::vector<std::string> dirs, bool freezer = false);

private:
  std::string memory_file(std::string_view name) const { return m_dirs.front() + "/" + std::string(name); }

  cgroup_kind m_kind;
  std::vector<std::string> m_dirs; // memory (or the v2 group) first, then the v1 freezer and cpu groups when there
  bool m_freezer = false;          // m_dirs[1] is the v1 freezer
  bool m_cpu_limited = false;
  std::vector<int> m_join;
  std::uint64_t m_peak_seen = 0;   // v2 without memory.peak: the largest memory.current read
};

// Why a CPU quota cannot be set here (empty when it can): probed once per process.
std::string why_no_cpu_quota();

// How lemu contains runtimes here, in words ("cgroup v1 (memory limit and peak by the kernel)", ...), and
// whether it can: probed once per process.
std::string describe_containment();

} // namespace lemu::process
