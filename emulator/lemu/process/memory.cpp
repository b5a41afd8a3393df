#include <lemu/process/memory.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::process {

namespace {

// Reads a small /proc file whole; "" when it cannot.
std::string read_proc(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The value in kB of `field` ("VmHWM:") in a /proc/<pid>/status text, in bytes; 0 when absent.
std::uint64_t status_field_bytes(const std::string& status, std::string_view field) {
  const auto at = status.find(field);
  if (at == std::string::npos) return 0;
  std::size_t i = at + field.size();
  while (i < status.size() && (status[i] == ' ' || status[i] == '\t')) ++i;
  std::uint64_t kb = 0;
  std::from_chars(status.data() + i, status.data() + status.size(), kb);
  return kb * 1024;
}

// Children of every thread of `pid` (/proc/<pid>/task/<tid>/children lists those a thread forked).
void children_of(pid_t pid, std::vector<pid_t>& out) {
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(task_dir.c_str());
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string list = read_proc(task_dir + "/" + entry->d_name + "/children");
    const char* p = list.data();
    const char* end = p + list.size();
    while (p < end) {
      pid_t child = 0;
      const auto [next, ec] = std::from_chars(p, end, child);
      if (ec != std::errc()) {
        ++p;
        continue;
      }
      out.push_back(child);
      p = next;
    }
  }
  ::closedir(dir);
}

} // namespace

tree_memory sample_tree_memory(pid_t root) {
  tree_memory total;
  std::vector<pid_t> todo{root};
  for (std::size_t i = 0; i < todo.size() && i < 4096; ++i) {
    const std::string status = read_proc("/proc/" + std::to_string(todo[i]) + "/status");
    total.peak_bytes += status_field_bytes(status, "VmHWM:");
    total.current_bytes += status_field_bytes(status, "VmRSS:");
    children_of(todo[i], todo);
  }
  return total;
}

} // namespace lemu::process
