#include <lemu/process/tree_watch.hpp>

#include <lemu/process/proc_files.hpp>
#include <lemu/process/watchdog.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace lemu::process {

namespace {

// Children of every thread of `pid` (/proc/<pid>/task/<tid>/children lists those a thread forked).
void children_of(pid_t pid, std::vector<pid_t>& out) {
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(task_dir.c_str());
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string list = read_small_file(task_dir + "/" + entry->d_name + "/children").value_or("");
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

proc_stat read_proc_stat(pid_t pid) {
  const std::string text = read_small_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  //  priority nice threads itrealvalue starttime ..."; comm may hold spaces and parentheses: split after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::string_view rest(text);
  rest.remove_prefix(close + 1);
  proc_stat s;
  std::from_chars(text.data(), text.data() + text.size(), s.pid);
  std::size_t field = 2; // the next field is the 3rd (state)
  while (!rest.empty() && field < 22) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const auto end = std::min(rest.find(' '), rest.size());
    const std::string_view value = rest.substr(0, end);
    ++field;
    if (field == 4) std::from_chars(value.data(), value.data() + value.size(), s.ppid);
    if (field == 5) std::from_chars(value.data(), value.data() + value.size(), s.pgrp);
    if (field == 22) std::from_chars(value.data(), value.data() + value.size(), s.start_time);
    rest.remove_prefix(end);
  }
  if (text.size() > 0 && text.find(" Z ") == close + 1) return {}; // a zombie holds no memory and cannot be killed
  return s;
}

void tree_watch::remember(pid_t pid, std::uint64_t start_time) {
  for (const auto& k : m_known) {
    if (k.pid == pid && k.start_time == start_time) return;
  }
  if (m_known.size() < max_known) {
    m_known.push_back({pid, start_time});
    if (pid != m_root) watchdog::track_process(pid, start_time); // killed even if lemu is
  }
}

bool tree_watch::alive(const process_id& p) const {
  const proc_stat s = read_proc_stat(p.pid);
  return s.pid == p.pid && s.start_time == p.start_time;
}

void tree_watch::scan_group() {
  DIR* dir = ::opendir("/proc");
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    const std::string_view name(entry->d_name);
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc() || pid <= 0) continue;
    const proc_stat s = read_proc_stat(pid);
    if (s.pid == pid && s.pgrp == m_root) remember(pid, s.start_time);
  }
  ::closedir(dir);
}

tree_watch::sample tree_watch::take() {
  std::vector<pid_t> tree{m_root};
  for (std::size_t i = 0; i < tree.size() && i < max_known; ++i) children_of(tree[i], tree);
  for (pid_t pid : tree) {
    const proc_stat s = read_proc_stat(pid);
    if (s.pid == pid) remember(pid, s.start_time);
  }
  if (m_samples++ % group_scan_every == 0) scan_group();

  sample total;
  std::erase_if(m_known, [&](const process_id& p) {
    const std::string status = read_small_file("/proc/" + std::to_string(p.pid) + "/status").value_or("");
    if (status.empty() || !alive(p)) { // gone: forgotten
      if (p.pid != m_root) watchdog::untrack_process(p.pid, p.start_time);
      return true;
    }
    total.peak_bytes += status_field_bytes(status, "VmHWM:");
    total.current_bytes += status_field_bytes(status, "VmRSS:");
    ++total.processes;
    return false;
  });
  return total;
}

void tree_watch::kill_all() {
  ::kill(-m_root, SIGKILL);
  scan_group();
  for (const auto& p : m_known) {
    if (alive(p)) ::kill(p.pid, SIGKILL);
  }
}

} // namespace lemu::process
