#include "support/background.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lemu::test {

background_process::background_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                       const std::string& cwd)
    : m_child(spawn_child(argv, env, cwd)) {
  ::close(m_child.in_fd);
  m_out_reader = std::thread([this] { read_loop(m_child.out_fd, false); });
  m_err_reader = std::thread([this] { read_loop(m_child.err_fd, true); });
}

background_process::~background_process() {
  if (!m_exit_code) {
    ::kill(-m_child.pid, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (m_out_reader.joinable()) m_out_reader.join();
  if (m_err_reader.joinable()) m_err_reader.join();
}

void background_process::read_loop(int fd, bool is_err) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard lock(m_mutex);
    (is_err ? m_err : m_out).append(buf, static_cast<std::size_t>(n));
    m_changed.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(m_mutex);
  --m_open;
  m_changed.notify_all();
}

bool background_process::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout,
                                         std::size_t occurrences) {
  const auto seen = [&] { return occurrences_of(m_err, text) >= occurrences; };
  std::unique_lock lock(m_mutex);
  return m_changed.wait_for(lock, timeout, [&] { return seen() || m_open == 0; }) && seen();
}

std::string background_process::out() const {
  std::lock_guard lock(m_mutex);
  return m_out;
}

std::string background_process::err() const {
  std::lock_guard lock(m_mutex);
  return m_err;
}

void background_process::signal(int sig) const { ::kill(m_child.pid, sig); }

int background_process::wait(std::chrono::milliseconds timeout) {
  if (m_exit_code) return *m_exit_code;
  // Wait for the exit itself through a pidfd (readable once the process has exited), with the deadline.
  int status = 0;
  rusage usage{};
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_child.pid, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd exited{pidfd, POLLIN, 0};
  const int ready = ::poll(&exited, 1, static_cast<int>(timeout.count()));
  ::close(pidfd);
  if (ready != 1) {
    ::kill(-m_child.pid, SIGKILL);
    ::wait4(m_child.pid, &status, 0, &usage);
    m_exit_code = -1;
    return -1;
  }
  if (::wait4(m_child.pid, &status, 0, &usage) != m_child.pid) return -1;
  m_max_rss_kb = usage.ru_maxrss;
  m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // The pipes end when the last process holding them does; the readers finish then.
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, std::chrono::seconds(5), [&] { return m_open == 0; });
  }
  return *m_exit_code;
}

long background_process::rss_kb() const {
  std::ifstream status("/proc/" + std::to_string(m_child.pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      long kb = 0;
      in >> kb;
      return kb;
    }
  }
  return 0;
}

} // namespace lemu::test
