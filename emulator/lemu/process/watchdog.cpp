#include <lemu/process/watchdog.hpp>

#include <lemu/process/tree_watch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace lemu::process::watchdog {

namespace {

int g_fd = -1;    // lemu's end of the pipe (write, non-blocking, close-on-exec)
pid_t g_pid = 0;  // the watchdog

void send(char op, char kind, std::string_view value) {
  if (g_fd < 0) return;
  std::string line;
  line.reserve(value.size() + 4);
  line += op;
  line += kind;
  line += ' ';
  line.append(value);
  line += '\n';
  // One write per line (atomic for lines under PIPE_BUF); a full pipe drops the line rather than block.
  if (::write(g_fd, line.data(), line.size()) < 0 && errno != EAGAIN) {
    ::close(g_fd);
    g_fd = -1;
  }
}

// --- the watchdog process ---------------------------------------------------------------------------------

void kill_cgroup(const std::string& dir) {
  // Freeze (v1 freezer hierarchy) when possible, then SIGKILL every member until none is left.
  const std::string freezer = dir + "/freezer.state";
  const bool frozen = ::access(freezer.c_str(), W_OK) == 0 && [&] {
    const int fd = ::open(freezer.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "FROZEN", 6) == 6;
    ::close(fd);
    return ok;
  }();
  const std::string kill_file = dir + "/cgroup.kill";
  if (const int fd = ::open(kill_file.c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    [[maybe_unused]] const auto n = ::write(fd, "1", 1);
    ::close(fd);
  }
  for (int round = 0; round < 200; ++round) {
    const int fd = ::open((dir + "/cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    bool any = false;
    for (const char* p = text.data(); p < text.data() + text.size();) {
      pid_t pid = 0;
      const auto [next, ec] = std::from_chars(p, text.data() + text.size(), pid);
      if (ec == std::errc() && pid > 0) {
        ::kill(pid, SIGKILL);
        any = true;
      }
      p = next + 1;
    }
    if (frozen && round == 0) {
      const int fd2 = ::open(freezer.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd2 >= 0) {
        [[maybe_unused]] const auto n = ::write(fd2, "THAWED", 6);
        ::close(fd2);
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // the watchdog has nothing else to do
  }
  for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

[[noreturn]] void watch(int fd) {
  std::set<pid_t> groups;
  std::set<std::string> cgroups;
  std::set<std::pair<pid_t, std::uint64_t>> processes;
  std::string pending;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; // lemu is gone
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      const std::string_view line(pending.data(), nl);
      if (line.size() < 4) continue;
      const std::string value(line.substr(3));
      if (line[1] == 'g') {
        pid_t pgid = 0;
        std::from_chars(value.data(), value.data() + value.size(), pgid);
        if (pgid <= 1) continue;
        if (line[0] == '+') groups.insert(pgid); else groups.erase(pgid);
      } else if (line[1] == 'c') {
        if (line[0] == '+') cgroups.insert(value); else cgroups.erase(value);
      } else if (line[1] == 'p') {
        pid_t pid = 0;
        std::uint64_t start = 0;
        const auto space = value.find(' ');
        if (space == std::string::npos) continue;
        std::from_chars(value.data(), value.data() + space, pid);
        std::from_chars(value.data() + space + 1, value.data() + value.size(), start);
        if (pid <= 1) continue;
        if (line[0] == '+') processes.insert({pid, start}); else processes.erase({pid, start});
      }
    }
  }
  for (pid_t g : groups) ::kill(-g, SIGKILL);
  for (const auto& [pid, start] : processes) {
    if (read_proc_stat(pid).start_time == start) ::kill(pid, SIGKILL); // the very process, not a reused pid
  }
  for (const auto& dir : cgroups) kill_cgroup(dir);
  ::_exit(0);
}

} // namespace

bool start() {
  if (g_pid > 0) return true;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    // The watchdog: its own session, no signals from the terminal, nothing open but its pipe.
    ::setsid();
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) ::signal(sig, SIG_IGN);
    ::prctl(PR_SET_NAME, "lemu-watchdog", 0, 0, 0);
    int reading = fds[0];
    if (reading < 3) reading = ::fcntl(fds[0], F_DUPFD, 3);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::close_range(3, static_cast<unsigned>(reading) - 1, 0);
    ::close_range(static_cast<unsigned>(reading) + 1, ~0u, 0);
    watch(reading);
  }
  ::close(fds[0]);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  g_fd = fds[1];
  g_pid = pid;
  return true;
}

bool running() { return g_fd >= 0; }
pid_t pid() { return g_pid; }

void track_group(pid_t pgid) { send('+', 'g', std::to_string(pgid)); }
void untrack_group(pid_t pgid) { send('-', 'g', std::to_string(pgid)); }
void track_cgroup(const std::string& dir) { send('+', 'c', dir); }
void untrack_cgroup(const std::string& dir) { send('-', 'c', dir); }
void track_process(pid_t pid, unsigned long long start_time) {
  send('+', 'p', std::to_string(pid) + " " + std::to_string(start_time));
}
void untrack_process(pid_t pid, unsigned long long start_time) {
  send('-', 'p', std::to_string(pid) + " " + std::to_string(start_time));
}

} // namespace lemu::process::watchdog
