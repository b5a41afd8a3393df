#pragma once
// Memory of a process tree, from /proc (DESIGN.md §2): the root and every descendant alive at the time of
// the call. `peak_bytes` sums VmHWM (the kernel's high-water mark of resident memory), so a sample misses
// only descendants that came and went since the last one; `current_bytes` sums VmRSS. Pages shared
// between processes of the tree are counted once per process (an overestimate).

#include <sys/types.h>

#include <cstdint>

namespace lemu::process {

struct tree_memory {
  std::uint64_t peak_bytes = 0;    // sum of VmHWM
  std::uint64_t current_bytes = 0; // sum of VmRSS
};

// Zeros when the root is gone.
tree_memory sample_tree_memory(pid_t root);

} // namespace lemu::process
