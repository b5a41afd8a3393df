#pragma once
// lemu_bench's shared core: sockets and processes on loopback, percentiles, and the table's formatting.
// Everything blocks (no event loop): the baseline must be the plainest possible code.

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::bench {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail_errno(const std::string& what);

std::string read_file(const std::string& path);

// A file descriptor closed on scope exit.
class fd_guard {
public:
  explicit fd_guard(int fd = -1) noexcept : m_fd(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  fd_guard(fd_guard&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  fd_guard& operator=(fd_guard&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  ~fd_guard() { reset(); }
  int get() const noexcept { return m_fd; }
  void reset() noexcept;

private:
  int m_fd;
};

void set_nodelay(int fd);

// Writes a whole message with one send() (looping only if the kernel takes part of it).
void send_all(int fd, std::string_view data);

// A TCP listener on 127.0.0.1 with a kernel-chosen port (written to `port`).
fd_guard listen_loopback(int backlog, unsigned& port);

// A connection to 127.0.0.1:port with TCP_NODELAY.
fd_guard connect_loopback(unsigned port);

// posix_spawn of `argv` (argv[0] is the path) with stdin, stdout and stderr on /dev/null, in environment
// `envp` (nullptr: this process's). `started` is set just before the spawn (what the timing starts from).
// Returns the pid; throws when the spawn fails.
pid_t spawn_quiet(const std::vector<std::string>& argv, char* const* envp, clock_type::time_point& started);

// Waits for a child; its rusage (wait4: the child's own, with its largest reaped descendant's peak RSS
// folded into ru_maxrss) when `usage` is given. Returns the exit status, or 128 + the signal.
int wait_child(pid_t pid, rusage* usage = nullptr);

// SIGKILLs and reaps a child however the scope ends (pid -1: nothing to do).
struct child_guard {
  pid_t pid = -1;
  void kill() noexcept;
  ~child_guard() { kill(); }
};

int pidfd_open(pid_t pid);

// The path of this executable (/proc/self/exe).
std::string self_path();

// Nearest-rank percentile of an ascending-sorted sample, p in (0, 1]; NaN when empty.
double percentile(const std::vector<double>& sorted, double p);

// A temporary directory, removed with everything in it on scope exit.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix);
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  std::string file(std::string_view name) const { return m_path + "/" + std::string(name); }

private:
  std::string m_path;
};

// The table: printf-style numbers, one row of five columns (widths in code points), verdicts, 1,000,000.
std::string fmt(const char* format, double v);
std::string row(std::string_view name, const std::string& lemu, const std::string& base, const std::string& ratio,
                std::string_view note);
const char* verdict(bool ok);
std::string thousands(int n);

} // namespace lemu::bench
