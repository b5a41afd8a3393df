#pragma once
// lemu as a container's first process. PID 1 is special: the kernel makes it the parent of every orphaned
// process in the container (a function's grandchild whose parent died), which it must reap or they stay
// zombies, and it delivers PID 1 no signal that it has no handler for (`docker stop` would wait 10 s, then
// kill). When lemu finds itself PID 1 (`docker run IMAGE` without --init, or `aws-lambda-rie` as the
// entrypoint of a Lambda image), it splits in two before doing anything else, as tini does: the parent
// stays PID 1, reaps every process that exits and forwards the signals it gets to lemu proper (SIGINT,
// SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH), then exits with lemu's exit code (128 + N when
// lemu was killed by signal N). The child, in a process group of its own that owns the terminal if there
// is one (so a Ctrl-C on `docker run -it` reaches it once), runs lemu.

namespace lemu::cli {

// Returns at once when this process is not PID 1, or in the child when it is; never returns in the parent.
void become_init_when_pid1();

} // namespace lemu::cli
