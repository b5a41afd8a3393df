#pragma once
// Runs a real command for a test: argv, optional stdin text and extra environment; captures stdout and
// stderr; kills it (and its process group) if it outlives the deadline. No shell involved.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lemu::test {

struct command_result {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  int signal = 0;
  bool timed_out = false;
  std::string out, err;
  std::size_t out_bytes_discarded = 0, err_bytes_discarded = 0; // with discard_output
  long max_rss_kb = 0; // the command's peak resident memory (its own, not its children's)

  std::vector<std::string> out_lines() const;
  std::vector<std::string> err_lines() const;
};

struct command_options {
  std::string stdin_text;
  std::map<std::string, std::string> env; // added to (or replacing in) this process's environment
  std::string cwd;
  std::chrono::milliseconds deadline = std::chrono::seconds(60);
  // When stderr first contains this text, send `signal_to_send` to the command (not to its process group).
  std::string signal_when_stderr_has;
  std::size_t signal_at_occurrence = 1; // ... once it has appeared this many times
  int signal_to_send = 0;
  bool discard_output = false; // count stdout/stderr bytes instead of keeping them
};

// True when the lemu under test is a sanitizer build: scripts/sanitize.sh runs the integration tests of the
// normal build against build-sanitize's lemu (LEMU_TEST_LEMU) and sets LEMU_TEST_SANITIZED.
inline bool lemu_is_sanitized() {
  const char* v = std::getenv("LEMU_TEST_SANITIZED");
  return v != nullptr && *v != '\0';
}

// A peak-RSS budget for lemu itself, in kB: `plain_kb` in a normal build; under AddressSanitizer its shadow
// memory and quarantine add up to ~128 MB whatever lemu does, so the budget grows by that much.
inline long rss_budget_kb(long plain_kb) { return lemu_is_sanitized() ? plain_kb + 128 * 1024 : plain_kb; }

inline command_options with_stdin(std::string text) {
  command_options o;
  o.stdin_text = std::move(text);
  return o;
}
inline command_options with_env(std::map<std::string, std::string> env) {
  command_options o;
  o.env = std::move(env);
  return o;
}

command_result run_command(const std::vector<std::string>& argv, const command_options& options = {});

// A command started in its own process group with pipes to its stdin, stdout and stderr (the caller's
// to read and close). Throws std::runtime_error when it cannot be started.
struct spawned_child {
  int pid = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1;
};
spawned_child spawn_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& cwd = {});

// Lines of `text` split on '\n' (a final newline does not make an empty line).
std::vector<std::string> split_lines(const std::string& text);

// How many times `needle` occurs in `text`, without overlaps.
std::size_t occurrences_of(const std::string& text, const std::string& needle);

// Number of lines of `lines` starting with `prefix`.
std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix);

// Process ids of the live processes in process group `pgid` (reads /proc).
std::vector<int> processes_in_group(int pgid);

// True while `pid` is a process that has not exited (a zombie counts as exited).
bool process_alive(int pid);

// Waits until `condition` holds, checking it every few milliseconds; false if `timeout` passes first.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The numbers that follow `marker` in `text`, each up to the end of its digits ("fake-bootstrap: pid " -> pids).
std::vector<int> numbers_after(const std::string& text, const std::string& marker);

// A fresh directory under the system temp folder, removed by the destructor unless the test failed.
class scratch_dir {
public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::string& path() const { return m_path; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

private:
  std::string m_path;
};

std::string read_file(const std::string& path);

} // namespace lemu::test
