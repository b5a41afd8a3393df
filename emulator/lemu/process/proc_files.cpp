#include <lemu/process/proc_files.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace lemu::process {

std::optional<std::string> read_small_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (std::size_t{1} << 20)) break;
  }
  ::close(fd);
  return out;
}

std::uint64_t status_field_bytes(std::string_view status, std::string_view field) {
  const auto at = status.find(field);
  if (at == std::string_view::npos) return 0;
  std::size_t i = at + field.size();
  while (i < status.size() && (status[i] == ' ' || status[i] == '\t')) ++i;
  std::uint64_t kb = 0;
  std::from_chars(status.data() + i, status.data() + status.size(), kb);
  return kb * 1024;
}

process_memory_figures process_memory(pid_t pid) {
  const auto status = read_small_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return {};
  return {status_field_bytes(*status, "VmHWM:"), status_field_bytes(*status, "VmRSS:")};
}

} // namespace lemu::process
