#include "init_process.hpp"

#include <array>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace lemu::cli {

namespace {

constexpr std::array forwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// Reaps every exited child; returns true (and sets `code`) once `main_child` is among them.
bool reap(pid_t main_child, int& code) {
  bool done = false;
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return done;
    if (pid == main_child) {
      done = true;
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
}

[[noreturn]] void supervise(pid_t child, const sigset_t& waited) {
  for (;;) {
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&waited, &info);
    if (sig < 0) continue; // EINTR
    if (sig == SIGCHLD) {
      int code = 0;
      if (reap(child, code)) std::_Exit(code);
      continue;
    }
    ::kill(child, sig);
  }
}

} // namespace

void become_init_when_pid1() {
  if (::getpid() != 1) return;
  sigset_t waited, previous;
  ::sigemptyset(&waited);
  ::sigaddset(&waited, SIGCHLD);
  for (const int sig : forwarded) ::sigaddset(&waited, sig);
  // Blocked before the fork, so that no signal is lost between the fork and sigwaitinfo.
  ::sigprocmask(SIG_BLOCK, &waited, &previous);
  const pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "lemu: warning: running as PID 1 without a reaper (fork: %s)\n", std::strerror(errno));
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return;
  }
  if (child == 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::setpgid(0, 0);
    if (::isatty(STDIN_FILENO)) {
      // Take the terminal's foreground, so that the terminal's Ctrl-C reaches lemu (once), not PID 1.
      std::signal(SIGTTOU, SIG_IGN);
      ::tcsetpgrp(STDIN_FILENO, ::getpgrp());
      std::signal(SIGTTOU, SIG_DFL);
    }
    return;
  }
  supervise(child, waited);
}

} // namespace lemu::cli
