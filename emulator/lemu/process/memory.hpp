#pragma once
// Peak resident memory of a process tree, from /proc (DESIGN.md §2): the sum of VmHWM (the kernel's
// high-water mark of resident memory) of the root and every descendant alive at the time of the call.
// VmHWM is itself a peak, so sampling misses only descendants that came and went between samples; pages
// shared between processes of the tree are counted once per process (an overestimate).

#include <sys/types.h>

#include <cstdint>

namespace lemu::process {

// Bytes; 0 when the root is gone.
std::uint64_t tree_peak_rss_bytes(pid_t root);

} // namespace lemu::process
