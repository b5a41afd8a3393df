#pragma once
// A runtime process: started with posix_spawn in a process group of its own, stdin from /dev/null,
// stdout and stderr on pipes that are read asynchronously and split into lines, and its exit observed
// through a pidfd on the io_context (polled every 2 ms where the kernel, or valgrind, has no pidfd). Nothing here blocks the io_context's thread, and a slow or flooding
// child never blocks lemu: lines longer than max_line are cut into pieces.
//
// posix_spawn rather than Boost.Process: the process group, closing every inherited descriptor and the
// working directory are one call each (POSIX_SPAWN_SETPGROUP, addclosefrom_np, addchdir_np), and spawning
// costs what the cold-start baseline costs, with no fork of lemu's address space.

#include <lemu/core/errors.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::process {

enum class stream { out, err };

// Receives each complete line (without its '\n') of the child's stdout or stderr.
using line_sink = std::function<void(stream, std::string_view)>;

struct spawn_request {
  std::filesystem::path executable;
  std::filesystem::path working_directory;
  std::vector<std::string> envp; // NAME=VALUE
  std::vector<std::string> args = {}; // argv[1...] (argv[0] is the executable)
};

class child : public std::enable_shared_from_this<child> {
public:
  static constexpr std::size_t max_line = 256 * 1024;

  // Starts the process. Throws std::system_error (naming the executable) if it cannot be started.
  static std::shared_ptr<child> spawn(boost::asio::any_io_executor ex, const spawn_request& req, line_sink sink);

  ~child(); // kills the process group if still running, and reaps

  pid_t pid() const { return m_pid; }
  bool running() const { return !m_exited; }
  std::chrono::steady_clock::time_point started_at() const { return m_started_at; }

  // `cb` runs once, after the process exited, was reaped, and what it wrote so far was delivered.
  // Every process left in its group is then killed (SIGKILL): nothing outlives the runtime.
  void on_exit(std::function<void(core::process_exit)> cb) { m_on_exit = std::move(cb); }

  // Delivers, now, every complete line already written to the pipes (non-blocking reads). Called before
  // an invocation's END/REPORT so that what the runtime printed before answering comes first.
  void drain();

  // Sends `sig` to the whole process group.
  void signal_group(int sig);
  // SIGTERM to the group, then SIGKILL when it has not exited after `grace`.
  void terminate(std::chrono::milliseconds grace);

  child(boost::asio::any_io_executor ex, line_sink sink);

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
  bool drain(pump& p, stream s);
  void flush_partial(pump& p, stream s);
  void wait_for_exit();
  void reaped(int status);

  pid_t m_pid = -1;
  bool m_exited = false;
  std::chrono::steady_clock::time_point m_started_at;
  line_sink m_sink;
  pump m_out, m_err;
  boost::asio::posix::stream_descriptor m_pidfd;
  boost::asio::steady_timer m_kill_timer;
  boost::asio::steady_timer m_poll_timer; // exit polling where there is no pidfd
  static constexpr auto poll_interval = std::chrono::milliseconds(2);
  std::function<void(core::process_exit)> m_on_exit;
};

} // namespace lemu::process
