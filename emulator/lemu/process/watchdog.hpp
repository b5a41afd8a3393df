#pragma once
// Nothing outlives lemu, even when lemu is killed with SIGKILL: a small process forked when a command
// starts (lemu run, replay, serve) holds the reading end of a pipe whose writing end only lemu has. lemu
// tells it, one line at a time, which process groups and cgroups its runtimes live in; when the pipe
// closes (lemu exited, however) it kills every process group and cgroup it still knows, removes the
// cgroups and exits. Runtimes also get PR_SET_PDEATHSIG (child.hpp): the watchdog covers their
// descendants, which may have left the group. It runs in its own session (a Ctrl-C or a kill of lemu's
// process group does not reach it), with no descriptor but its pipe.
//
// Every function is a no-op before start() or when the watchdog could not be started.

#include <sys/types.h>

#include <string>

namespace lemu::process::watchdog {

// Forks the watchdog (once per process). Returns false when it could not.
bool start();
bool running();

void track_group(pid_t pgid);
void untrack_group(pid_t pgid);
void track_cgroup(const std::string& dir);
void untrack_cgroup(const std::string& dir);
// A process the tree watcher saw (where no cgroup holds the runtime's processes), by pid and start time.
void track_process(pid_t pid, unsigned long long start_time);
void untrack_process(pid_t pid, unsigned long long start_time);

// The watchdog's pid, for tests (0 when none).
pid_t pid();

} // namespace lemu::process::watchdog
