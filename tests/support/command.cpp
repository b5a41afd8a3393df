#include "support/command.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace lemu::test {

std::size_t occurrences_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> command_result::out_lines() const { return split_lines(out); }
std::vector<std::string> command_result::err_lines() const { return split_lines(err); }

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

spawned_child spawn_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                          const std::string& cwd) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");

  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra_env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  // posix_spawnp: a bare command name (xmllint, cmake) is looked up in PATH.
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return spawned_child{pid, in[1], out[0], err[0]};
}

command_result run_command(const std::vector<std::string>& argv, const command_options& options) {
  const spawned_child child = spawn_child(argv, options.env, options.cwd);
  const pid_t pid = child.pid;
  int in[2] = {-1, child.in_fd}, out[2] = {child.out_fd, -1}, err[2] = {child.err_fd, -1};

  command_result result;
  std::size_t written = 0;
  int in_fd = in[1];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (options.stdin_text.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + options.deadline;
  int open_fds = 2;
  bool signalled = false;
  char buf[65536];
  while (open_fds > 0 || in_fd >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (out[0] >= 0) fds[n++] = {out[0], POLLIN, 0};
    if (err[0] >= 0) fds[n++] = {err[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    ::poll(fds, n, static_cast<int>(left.count()));
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w = ::write(in_fd, options.stdin_text.data() + written, options.stdin_text.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == options.stdin_text.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      const bool is_out = fds[i].fd == out[0];
      std::string& target = is_out ? result.out : result.err;
      if (r > 0 && options.discard_output) {
        (is_out ? result.out_bytes_discarded : result.err_bytes_discarded) += static_cast<std::size_t>(r);
      } else if (r > 0) {
        target.append(buf, static_cast<std::size_t>(r));
        if (!signalled && !options.signal_when_stderr_has.empty() &&
            occurrences_of(result.err, options.signal_when_stderr_has) >= options.signal_at_occurrence) {
          ::kill(pid, options.signal_to_send);
          signalled = true;
        }
      } else {
        ::close(fds[i].fd);
        (fds[i].fd == out[0] ? out[0] : err[0]) = -1;
        --open_fds;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out[0] >= 0) ::close(out[0]);
  if (err[0] >= 0) ::close(err[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  result.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::vector<int> processes_in_group(int pgid) {
  std::vector<int> found;
  DIR* dir = ::opendir("/proc");
  if (!dir) return found;
  while (const dirent* e = ::readdir(dir)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    const auto close_paren = content.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(content.substr(close_paren + 2));
    char state = 0;
    int ppid = 0, group = 0;
    rest >> state >> ppid >> group;
    if (group == pgid && state != 'Z') found.push_back(pid);
  }
  ::closedir(dir);
  return found;
}

bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string content((std::istreambuf_iterator<char>(stat)), {});
  const auto close_paren = content.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < content.size() && content[close_paren + 2] != 'Z';
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // the polling period, not a wait for an event
  }
}

std::vector<int> numbers_after(const std::string& text, const std::string& marker) {
  std::vector<int> out;
  for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    std::size_t i = at + marker.size(), n = 0;
    int value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && n < 9) {
      value = value * 10 + (text[i++] - '0');
      ++n;
    }
    if (n > 0) out.push_back(value);
  }
  return out;
}

scratch_dir::scratch_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "lemu-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  m_path = tmpl;
}

scratch_dir::~scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info && info->result()->Failed()) {
    std::fprintf(stderr, "test data left in %s\n", m_path.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string scratch_dir::write(const std::string& name, const std::string& content) const {
  const std::string p = m_path + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  std::ofstream f(p, std::ios::binary);
  f << content;
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

} // namespace lemu::test
