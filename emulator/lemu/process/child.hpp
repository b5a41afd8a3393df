#pragma once
// A runtime process, started the way Lambda starts one and held so that nothing it does can hang lemu:
//
// - started with vfork + execve (no copy of lemu's address space: a cold start costs what posix_spawn
//   costs) in a process group of its own, in its containment (a cgroup where one can be made, joined
//   before exec so that not even its first fork escapes), with PR_SET_PDEATHSIG=SIGKILL (if lemu dies,
//   even by SIGKILL, so does the runtime), stdin from /dev/null, default signal dispositions, an empty
//   signal mask, and no descriptor of lemu's;
// - stdout and stderr on pipes read by readiness and split into lines (a line longer than max_line is cut
//   into pieces; a flood never blocks lemu);
// - its exit seen on a pidfd (polled every 2 ms where the kernel, or valgrind, has none) without reaping
//   at first, so that everything left of the runtime's (its group, its cgroup) is killed while the pid
//   is still reserved; then it is reaped, what it wrote is delivered, a pending partial line included,
//   and the pipes are closed: a descendant that keeps them open (a setsid() daemon) holds nothing of lemu's.
//
// Nothing here blocks the io_context's thread, except the destructor of a child that is still running
// (it kills, then reaps: a SIGKILLed process exits at once).

#include <lemu/core/errors.hpp>
#include <lemu/process/containment.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace lemu::process {

enum class stream { out, err };

// Receives each complete line (without its '\n') of the child's stdout or stderr.
using line_sink = std::function<void(stream, std::string_view)>;

struct spawn_request {
  std::filesystem::path executable;
  std::filesystem::path working_directory;
  std::vector<std::string> envp;      // NAME=VALUE
  std::vector<std::string> args;      // argv[1...] (argv[0] is the executable)
  std::uint64_t memory_limit_bytes = std::uint64_t{128} << 20; // for the cgroup, where there is one
  // A sandbox's namespaces (sandbox::sandbox::enter_descriptors()): entered with setns(), in order, after the
  // cgroup is joined and before chdir and exec; `executable` and `working_directory` are then paths inside.
  std::vector<int> namespaces;
  double cpu_share = 0; // > 0: a CPU quota of that many cores (--cpu-like-lambda), where the cgroup allows it
  // Where `executable` is on the host, for messages about it (empty: `executable` itself).
  std::filesystem::path host_executable;
};

// The runtime could not be started: what() says why in words (naming a missing #! interpreter); error() is
// the errno.
struct spawn_error : std::runtime_error {
  spawn_error(int err, const std::string& what) : std::runtime_error(what), m_errno(err) {}
  int error() const { return m_errno; }

private:
  int m_errno;
};

class child : public std::enable_shared_from_this<child> {
public:
  static constexpr std::size_t max_line = 256 * 1024;

  // Starts the process. Throws spawn_error naming the executable (and why) when it cannot be started.
  static std::shared_ptr<child> spawn(boost::asio::any_io_executor ex, const spawn_request& req, line_sink sink);

  ~child();
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  // Runtimes started and not yet reaped, in this process (what a command waits for before it ends).
  static std::size_t running_count() { return s_running; }

  pid_t pid() const { return m_pid; }
  bool running() const { return !m_exited; }
  std::chrono::steady_clock::time_point started_at() const { return m_started_at; }
  process::containment& containment() { return *m_containment; }

  // `cb` runs once, after the process exited, everything left of it was killed, it was reaped and what it
  // wrote was delivered.
  void on_exit(std::function<void(core::process_exit)> cb) { m_on_exit = std::move(cb); }

  // Delivers, now, every line already written to the pipes (non-blocking reads), and a pending partial
  // line too: called at the end of each invocation, so what the runtime printed comes before its END.
  void drain();

  // SIGTERM to the runtime's group, then SIGKILL to everything it started when it has not exited after
  // `grace`.
  void terminate(std::chrono::milliseconds grace);
  // SIGKILL to everything it started, now.
  void kill();

  child(boost::asio::any_io_executor ex, line_sink sink, std::unique_ptr<process::containment> c);

private:
  struct pump {
    explicit pump(boost::asio::any_io_executor ex) : pipe(ex) {}
    boost::asio::posix::stream_descriptor pipe;
    std::string partial;
    std::vector<char> buffer = std::vector<char>(64 * 1024);
  };

  void start_reading(pump& p, stream s);
  void consume(pump& p, stream s, std::size_t n);
  // Non-blocking read of what is already in the pipe; false when the pipe reached its end (and is closed).
  bool read_available(pump& p, stream s);
  void flush_partial(pump& p, stream s);
  void close_pipes();
  void wait_for_exit();
  void exited(); // the runtime is a zombie: kill the rest, reap, deliver, report

  pid_t m_pid = -1;
  bool m_exited = false;
  std::chrono::steady_clock::time_point m_started_at;
  line_sink m_sink;
  std::unique_ptr<process::containment> m_containment;
  pump m_out, m_err;
  boost::asio::posix::stream_descriptor m_pidfd;
  boost::asio::steady_timer m_kill_timer;
  boost::asio::steady_timer m_poll_timer; // exit polling where there is no pidfd
  static constexpr auto poll_interval = std::chrono::milliseconds(2);
  std::function<void(core::process_exit)> m_on_exit;
  static inline std::size_t s_running = 0;
};

} // namespace lemu::process
