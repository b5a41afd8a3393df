#pragma once
// A command left running while a test talks to it (lemu serve): its stdout and stderr are collected by
// reader threads, the test waits for a line, signals it, and waits for its exit. The destructor kills the
// process group of a command still running.

#include "support/command.hpp"

#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace lemu::test {

class background_process {
public:
  explicit background_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                              const std::string& cwd = {});
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  int pid() const { return m_child.pid; }
  // True once stderr contains `text` `occurrences` times (false if the deadline passes or the command exits first).
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                       std::size_t occurrences = 1);
  std::string out() const;
  std::string err() const;
  void signal(int sig) const;
  // Waits for the exit: the exit code, or -1 when killed by a signal or when the deadline passed.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The command's resident memory now (VmRSS, kB), 0 when it is gone.
  long rss_kb() const;
  // Its peak resident memory, known after wait().
  long max_rss_kb() const { return m_max_rss_kb; }

private:
  void read_loop(int fd, bool is_err);

  spawned_child m_child;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::string m_out, m_err;
  int m_open = 2;
  std::thread m_out_reader, m_err_reader;
  std::optional<int> m_exit_code;
  long m_max_rss_kb = 0;
};

} // namespace lemu::test
