#include "bench/core.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace lemu::bench {

void fail_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void fd_guard::reset() noexcept {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

void set_nodelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fail_errno("setsockopt(TCP_NODELAY)");
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("send");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

namespace {
sockaddr_in loopback(unsigned port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}
} // namespace

fd_guard listen_loopback(int backlog, unsigned& port) {
  fd_guard listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) fail_errno("socket");
  sockaddr_in addr = loopback(0);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fail_errno("bind");
  if (::listen(listener.get(), backlog) != 0) fail_errno("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail_errno("getsockname");
  port = ntohs(addr.sin_port);
  return listener;
}

fd_guard connect_loopback(unsigned port) {
  fd_guard fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail_errno("socket");
  const sockaddr_in addr = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fail_errno("connect");
  set_nodelay(fd.get());
  return fd;
}

pid_t spawn_quiet(const std::vector<std::string>& args, char* const* envp, clock_type::time_point& started) {
  // Opened once, so that no open() falls inside a timed spawn.
  static const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  static const int null_out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_in < 0 || null_out < 0) fail_errno("open /dev/null");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_out, STDERR_FILENO);
  pid_t pid = -1;
  started = clock_type::now();
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp ? envp : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    fail_errno("posix_spawn " + args.front());
  }
  return pid;
}

int wait_child(pid_t pid, rusage* usage) {
  int status = 0;
  while (::wait4(pid, &status, 0, usage) < 0) {
    if (errno != EINTR) fail_errno("wait4");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void child_guard::kill() noexcept {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string self_path() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= path.size()) fail_errno("readlink /proc/self/exe");
  path.resize(static_cast<std::size_t>(n));
  return path;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

temp_dir::temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) fail_errno("mkdtemp " + tmpl);
  m_path = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string row(std::string_view name, const std::string& lemu, const std::string& base, const std::string& ratio,
                std::string_view note) {
  // Column widths count code points, so "µ" and "→" do not shift the columns.
  auto pad = [](std::string_view s, std::size_t width) {
    std::size_t cps = 0;
    for (const char c : s) cps += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    std::string out(s);
    if (cps < width) out.append(width - cps, ' ');
    return out;
  };
  std::string line = pad(name, 39) + pad(lemu, 14) + pad(base, 15) + pad(ratio, 7) + std::string(note);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

std::string thousands(int n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

} // namespace lemu::bench
