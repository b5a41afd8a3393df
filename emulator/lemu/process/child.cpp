#include <lemu/process/child.hpp>

#include <boost/asio/buffer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace lemu::process {

namespace net = boost::asio;

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// RAII for the spawn attribute objects.
struct spawn_setup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

} // namespace

child::child(net::any_io_executor ex, line_sink sink)
    : m_sink(std::move(sink)), m_out(ex), m_err(ex), m_pidfd(ex), m_kill_timer(ex), m_poll_timer(ex) {}

std::shared_ptr<child> child::spawn(net::any_io_executor ex, const spawn_request& req, line_sink sink) {
  auto c = std::make_shared<child>(ex, std::move(sink));
  const std::string exe = req.executable.string();

  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw_errno(errno, "pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out[0]);
    ::close(out[1]);
    throw_errno(e, "pipe");
  }
  c->m_out.pipe.assign(out[0]);
  c->m_err.pipe.assign(err[0]);
  c->m_out.pipe.non_blocking(true); // drain() reads what is there without waiting
  c->m_err.pipe.non_blocking(true);

  spawn_setup s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&s.actions, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 3); // nothing of lemu's leaks into the runtime
  const std::string cwd = req.working_directory.string();
  posix_spawn_file_actions_addchdir_np(&s.actions, cwd.c_str());

  // Own process group (pgid = pid), default signal dispositions and an empty mask: lemu ignores SIGPIPE.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> envp;
  envp.reserve(req.envp.size() + 1);
  for (const auto& e : req.envp) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (const auto& a : req.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  c->m_started_at = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&c->m_pid, exe.c_str(), &s.actions, &s.attr, argv.data(), envp.data());
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    c->m_exited = true;
    throw_errno(rc, "cannot start " + exe);
  }

  // A pidfd says when the child exits. Kernels before 5.3, and valgrind, have none (ENOSYS): then the
  // exit is polled instead (LEMU_NO_PIDFD=1 forces that, for tests and to compare).
  const char* no_pidfd = std::getenv("LEMU_NO_PIDFD");
  const int pidfd = no_pidfd && *no_pidfd == '1' ? -1 : pidfd_open(c->m_pid);
  if (pidfd >= 0) {
    c->m_pidfd.assign(pidfd);
  } else if (no_pidfd == nullptr && errno != ENOSYS) {
    const int e = errno;
    ::kill(-c->m_pid, SIGKILL);
    ::waitpid(c->m_pid, nullptr, 0);
    c->m_exited = true;
    throw_errno(e, "pidfd_open");
  }

  c->start_reading(c->m_out, stream::out);
  c->start_reading(c->m_err, stream::err);
  c->wait_for_exit();
  return c;
}

child::~child() {
  if (!m_exited && m_pid > 0) {
    ::kill(-m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
}

void child::signal_group(int sig) {
  if (m_pid > 0 && !m_exited) ::kill(-m_pid, sig);
}

void child::terminate(std::chrono::milliseconds grace) {
  if (m_exited) return;
  signal_group(SIGTERM);
  m_kill_timer.expires_after(grace);
  m_kill_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->signal_group(SIGKILL);
  });
}

void child::start_reading(pump& p, stream s) {
  // Wait for readiness and read ourselves (rather than async_read_some, whose data would sit in the
  // buffer until its handler runs): drain() can then read at any moment without reordering lines.
  p.pipe.async_wait(net::posix::stream_descriptor::wait_read, [self = shared_from_this(), &p, s](boost::system::error_code ec) {
    if (ec) return; // the descriptor was closed
    if (self->drain(p, s)) self->start_reading(p, s);
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
  drain(m_out, stream::out);
  drain(m_err, stream::err);
}

bool child::drain(pump& p, stream s) {
  if (!p.pipe.is_open()) return false;
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = p.pipe.read_some(net::buffer(p.buffer), ec); // non-blocking: would_block when empty
    if (n > 0) consume(p, s, n);
    if (ec == net::error::would_block || ec == net::error::try_again) return true;
    if (ec) break; // end of file (every writer closed) or a read error
  }
  flush_partial(p, s);
  boost::system::error_code ignored;
  p.pipe.close(ignored);
  return false;
}

void child::wait_for_exit() {
  if (!m_pidfd.is_open()) {
    // No pidfd: look again every poll_interval (only the exit's detection is delayed, by that much at most).
    m_poll_timer.expires_after(poll_interval);
    m_poll_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->m_exited) return;
      int status = 0;
      if (::waitpid(self->m_pid, &status, WNOHANG) == self->m_pid) {
        self->reaped(status);
      } else {
        self->wait_for_exit();
      }
    });
    return;
  }
  m_pidfd.async_wait(net::posix::stream_descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return; // closed: the child object is going away
    int status = 0;
    const pid_t r = ::waitpid(self->m_pid, &status, WNOHANG);
    if (r == 0) {
      self->wait_for_exit();
      return;
    }
    self->reaped(status);
  });
}

void child::reaped(int status) {
  m_exited = true;
  ::kill(-m_pid, SIGKILL); // whatever else is left in the runtime's process group
  m_kill_timer.cancel();
  m_poll_timer.cancel();
  boost::system::error_code ignored;
  m_pidfd.close(ignored);
  // Deliver what the runtime wrote before it died, then say it is gone. Pipes that a grandchild still
  // holds open keep being read until it is killed above.
  drain();

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
