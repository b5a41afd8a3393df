#include <lemu/process/child.hpp>

#include <lemu/process/bootstrap.hpp>

#include <boost/asio/buffer.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <system_error>

namespace lemu::process {

namespace asio = boost::asio;

namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// A descriptor moved to 3 or above (so that dup2 onto 0, 1, 2 in the child never meets it), close-on-exec.
int above_stdio(int fd) {
  if (fd >= 3) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

struct descriptors {
  int null = -1, out_read = -1, out_write = -1, err_read = -1, err_write = -1;
  ~descriptors() {
    for (int fd : {null, out_read, out_write, err_read, err_write}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

// What the vfork child tells its parent (they share memory until exec).
struct exec_report {
  int exec_errno = 0;
  int join_errno = 0; // could not join the cgroup (the runtime runs anyway, watched instead)
  enum { exec, chdir, setns } failed = exec; // the call exec_errno is about
};

// Everything the child needs, prepared by the parent: the child only makes system calls.
struct exec_plan {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int null, out, err;
  const int* join;
  std::size_t joins;
  const int* enter; // namespaces to setns() into, in order
  std::size_t enters;
  pid_t parent;
};

// The vfork child: never returns. Only async-signal-safe system calls; it writes nothing of the parent's
// but the report.
[[noreturn]] void exec_child(const exec_plan& plan, exec_report& report) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != plan.parent) ::_exit(127); // lemu died before the death signal was armed
  for (std::size_t i = 0; i < plan.joins; ++i) {
    if (::write(plan.join[i], "0", 1) != 1) report.join_errno = errno;
  }
  for (std::size_t i = 0; i < plan.enters; ++i) {
    if (::setns(plan.enter[i], 0) != 0) {
      report.exec_errno = errno;
      report.failed = exec_report::setns;
      ::_exit(127);
    }
  }
  if (plan.enters > 0) {
    // Entering a user namespace changes the credentials, which clears the death signal: armed again.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != plan.parent) ::_exit(127);
  }
  ::dup2(plan.null, 0);
  ::dup2(plan.out, 1);
  ::dup2(plan.err, 2);
  ::close_range(3, ~0u, 0); // nothing of lemu's leaks into the runtime
  if (::chdir(plan.cwd) != 0) {
    report.exec_errno = errno;
    report.failed = exec_report::chdir;
    ::_exit(127);
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr); // lemu ignores SIGPIPE: the runtime must not
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(plan.path, plan.argv, plan.envp);
  report.exec_errno = errno;
  ::_exit(127);
}

// Runs exec_child in a vfork child; the parent resumes once the child has exec'd or exited.
pid_t vfork_exec(const exec_plan& plan, exec_report& report) {
  // No signal handler may run in the child before it resets them: block all until vfork returns.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::vfork();
  if (pid == 0) exec_child(plan, report);
  const int err = errno;
  // The child's change of credentials (setns into a user namespace) marked the memory it shared with lemu
  // not dumpable; lemu's own flag is set back.
  if (plan.enters > 0) ::prctl(PR_SET_DUMPABLE, 1);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return pid;
}

} // namespace

child::child(asio::any_io_executor ex, line_sink sink, std::unique_ptr<process::containment> c)
    : m_sink(std::move(sink)), m_containment(std::move(c)), m_out(ex), m_err(ex), m_pidfd(ex), m_kill_timer(ex),
      m_poll_timer(ex) {}

std::shared_ptr<child> child::spawn(asio::any_io_executor ex, const spawn_request& req, line_sink sink) {
  const std::string exe = req.executable.string();
  auto c = std::make_shared<child>(
      ex, std::move(sink), std::make_unique<process::containment>(next_containment_name(), req.memory_limit_bytes, req.cpu_share));

  descriptors d;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw spawn_error(errno, "cannot start " + exe + ": pipe: " + std::strerror(errno));
  d.out_read = out[0];
  d.out_write = above_stdio(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) throw spawn_error(errno, "cannot start " + exe + ": pipe: " + std::strerror(errno));
  d.err_read = err[0];
  d.err_write = above_stdio(err[1]);
  d.null = above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (d.out_write < 0 || d.err_write < 0 || d.null < 0) {
    throw spawn_error(errno, "cannot start " + exe + ": " + std::strerror(errno));
  }

  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (const auto& a : req.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(req.envp.size() + 1);
  for (const auto& e : req.envp) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string cwd = req.working_directory.string();
  const std::vector<int> joins = c->m_containment->join_descriptors();
  const exec_plan plan{exe.c_str(), argv.data(), envp.data(), cwd.c_str(), d.null, d.out_write, d.err_write,
                       joins.data(), joins.size(), req.namespaces.data(), req.namespaces.size(), ::getpid()};
  exec_report report;

  c->m_started_at = std::chrono::steady_clock::now();
  const pid_t pid = vfork_exec(plan, report);
  if (pid < 0) throw spawn_error(errno, "cannot start " + exe + ": " + std::strerror(errno));
  if (report.exec_errno != 0) {
    ::waitpid(pid, nullptr, 0); // it has already exited
    c->m_exited = true;
    const std::string why = std::strerror(report.exec_errno);
    switch (report.failed) {
    case exec_report::setns: throw spawn_error(report.exec_errno, "cannot enter the sandbox: setns: " + why);
    case exec_report::chdir: throw spawn_error(report.exec_errno, "cannot enter the task root " + cwd + ": " + why);
    case exec_report::exec: break;
    }
    throw spawn_error(report.exec_errno,
                      exec_failure_reason(req.host_executable.empty() ? req.executable : req.host_executable, report.exec_errno));
  }
  c->m_pid = pid;
  ++s_running;
  c->m_containment->attach(pid, report.join_errno == 0);

  ::close(d.out_write);
  ::close(d.err_write);
  d.out_write = d.err_write = -1;
  c->m_out.pipe.assign(d.out_read);
  c->m_err.pipe.assign(d.err_read);
  d.out_read = d.err_read = -1;
  c->m_out.pipe.non_blocking(true); // drain() reads what is there without waiting
  c->m_err.pipe.non_blocking(true);

  // A pidfd says when the child exits. Kernels before 5.3, and valgrind, have none (ENOSYS): then the
  // exit is polled instead (LEMU_NO_PIDFD=1 forces that, for tests and to compare).
  const char* no_pidfd = std::getenv("LEMU_NO_PIDFD");
  const int pidfd = no_pidfd && *no_pidfd == '1' ? -1 : pidfd_open(pid);
  if (pidfd >= 0) {
    c->m_pidfd.assign(pidfd);
  } else if (no_pidfd == nullptr && errno != ENOSYS) {
    const int e = errno;
    c->kill();
    ::waitpid(pid, nullptr, 0);
    c->m_exited = true;
    --s_running;
    throw spawn_error(e, std::string("cannot watch the runtime: pidfd_open: ") + std::strerror(e));
  }

  c->start_reading(c->m_out, stream::out);
  c->start_reading(c->m_err, stream::err);
  c->wait_for_exit();
  return c;
}

child::~child() {
  if (!m_exited && m_pid > 0) {
    // Kill everything before reaping the runtime, so that its pid (the group's id) cannot be reused meanwhile.
    m_containment->kill_all();
    ::waitpid(m_pid, nullptr, 0);
    --s_running;
  }
}

void child::kill() {
  if (m_pid > 0) m_containment->kill_all();
}

void child::terminate(std::chrono::milliseconds grace) {
  if (m_exited) {
    kill(); // the runtime is gone; whatever it left is killed at once
    return;
  }
  m_containment->terminate_group();
  m_kill_timer.expires_after(grace);
  m_kill_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->kill();
  });
}

void child::start_reading(pump& p, stream s) {
  // Wait for readiness and read ourselves (rather than async_read_some, whose data would sit in the
  // buffer until its handler runs): drain() can then read at any moment without reordering lines.
  p.pipe.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this(), &p, s](boost::system::error_code ec) {
    if (ec) return; // the descriptor was closed
    if (self->read_available(p, s)) self->start_reading(p, s);
  });
}

void child::consume(pump& p, stream s, std::size_t n) {
  std::string_view data(p.buffer.data(), n);
  while (!data.empty()) {
    const auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      p.partial.append(data);
      if (p.partial.size() >= max_line) flush_partial(p, s);
      return;
    }
    if (p.partial.empty()) {
      m_sink(s, data.substr(0, nl));
    } else {
      p.partial.append(data.substr(0, nl));
      m_sink(s, p.partial);
      p.partial.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void child::flush_partial(pump& p, stream s) {
  if (p.partial.empty()) return;
  m_sink(s, p.partial);
  p.partial.clear();
}

void child::drain() {
  read_available(m_out, stream::out);
  read_available(m_err, stream::err);
  flush_partial(m_out, stream::out);
  flush_partial(m_err, stream::err);
}

bool child::read_available(pump& p, stream s) {
  if (!p.pipe.is_open()) return false;
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = p.pipe.read_some(asio::buffer(p.buffer), ec); // non-blocking: would_block when empty
    if (n > 0) consume(p, s, n);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
    if (ec) break; // end of file (every writer closed) or a read error
  }
  flush_partial(p, s);
  boost::system::error_code ignored;
  p.pipe.close(ignored);
  return false;
}

void child::close_pipes() {
  boost::system::error_code ignored;
  m_out.pipe.close(ignored);
  m_err.pipe.close(ignored);
}

void child::wait_for_exit() {
  if (!m_pidfd.is_open()) {
    // No pidfd: look again every poll_interval (only the exit's detection is delayed, by that much at most).
    m_poll_timer.expires_after(poll_interval);
    m_poll_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->m_exited) return;
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(self->m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0) {
        self->exited();
      } else {
        self->wait_for_exit();
      }
    });
    return;
  }
  m_pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->m_exited) return; // closed: the child object is going away
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(self->m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
      self->wait_for_exit();
      return;
    }
    self->exited();
  });
}

void child::exited() {
  // The runtime is a zombie, its pid still reserved: kill whatever it left (group, cgroup) first.
  m_containment->kill_all();
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_exited = true;
  --s_running;
  m_kill_timer.cancel();
  m_poll_timer.cancel();
  boost::system::error_code ignored;
  m_pidfd.close(ignored);
  // Deliver what the runtime wrote before it died, then stop reading: what an escaped descendant still
  // holds open is not lemu's to wait for.
  drain();
  close_pipes();

  core::process_exit e;
  if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    e.code = WEXITSTATUS(status);
  }
  if (m_on_exit) {
    auto cb = std::move(m_on_exit);
    m_on_exit = nullptr;
    cb(e);
  }
}

} // namespace lemu::process
