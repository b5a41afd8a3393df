#pragma once
// The processes of one runtime, watched through /proc where no cgroup holds them: the runtime, its
// descendants (walking /proc/<pid>/task/*/children), the members of its process group (a scan of /proc
// every group_scan_every samples), and every process seen that way before, even after it left the tree
// (an orphan re-parented to init) or the group (setsid()). Each is known by pid and start time, so a
// reused pid is never mistaken for one of them. Precision: a process that forks, leaves the tree and
// the group between two samples (20 ms apart in lemu) is not seen. Pages shared between processes
// count once per process (an overestimate).

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lemu::process {

class tree_watch {
public:
  static constexpr unsigned group_scan_every = 10;
  static constexpr std::size_t max_known = 4096;

  explicit tree_watch(pid_t root) : m_root(root) {}

  struct sample {
    std::uint64_t peak_bytes = 0;    // sum of VmHWM (each process's own high-water mark)
    std::uint64_t current_bytes = 0; // sum of VmRSS
    std::size_t processes = 0;       // alive now
  };
  sample take();
  // SIGKILL to every known process still alive (and to the group).
  void kill_all();
  std::size_t known() const { return m_known.size(); }

private:
  struct process_id {
    pid_t pid;
    std::uint64_t start_time;
  };
  void remember(pid_t pid, std::uint64_t start_time);
  void scan_group();
  bool alive(const process_id& p) const;

  pid_t m_root;
  std::vector<process_id> m_known;
  unsigned m_samples = 0;
};

// Fields of /proc/<pid>/stat lemu reads; nullopt-like (pid 0) when the process is gone.
struct proc_stat {
  pid_t pid = 0, ppid = 0, pgrp = 0;
  std::uint64_t start_time = 0; // clock ticks after boot
};
proc_stat read_proc_stat(pid_t pid);

} // namespace lemu::process
