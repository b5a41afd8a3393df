#pragma once
// Small kernel files (/proc, cgroup files) read whole, and the figures lemu takes from them. One copy for
// the tree watcher, the cgroups and the containment.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::process {

// The file whole (at most 1 MiB); nullopt when it cannot be opened.
std::optional<std::string> read_small_file(const std::string& path);

// The value in kB of `field` ("VmHWM:") in a /proc/<pid>/status text, in bytes; 0 when absent.
std::uint64_t status_field_bytes(std::string_view status, std::string_view field);

// VmHWM and VmRSS of one process, in bytes (zeros when it is gone).
struct process_memory_figures {
  std::uint64_t peak_bytes = 0, current_bytes = 0;
};
process_memory_figures process_memory(pid_t pid);

} // namespace lemu::process
