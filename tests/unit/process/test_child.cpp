// A runtime process on an io_context: its lines (a partial last line included), how it ended in Go's
// words, and that its exit is reported at once even when a descendant that left its process group keeps
// the output pipes open, which is then killed. Real processes (/bin/sh).
#include <lemu/process/child.hpp>
#include <lemu/process/tree_watch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace lemu::process {
namespace {

struct ran {
  std::optional<core::process_exit> exit;
  std::vector<std::string> out, err;
};

// Runs `/bin/sh -c script` until it exits (or `deadline`), collecting what it wrote.
// `on_line` sees each line of stdout as it comes.
ran run_shell(const std::string& script, std::chrono::milliseconds deadline = std::chrono::seconds(10),
              const std::function<void(child&, std::string_view)>& on_line = {}) {
  boost::asio::io_context ioc;
  ran r;
  spawn_request req{"/bin/sh", "/", {"PATH=/usr/bin:/bin"}, {"-c", script}, std::uint64_t{256} << 20, {}, 0, {}};
  std::shared_ptr<child> c;
  c = child::spawn(ioc.get_executor(), req, [&](stream s, std::string_view line) {
    (s == stream::out ? r.out : r.err).emplace_back(line);
    if (s == stream::out && on_line) on_line(*c, line);
  });
  c->on_exit([&](core::process_exit e) { r.exit = e; });
  boost::asio::steady_timer limit(ioc, deadline);
  limit.async_wait([&](boost::system::error_code ec) {
    if (!ec) ioc.stop();
  });
  while (!r.exit && !ioc.stopped()) ioc.run_one();
  return r;
}

TEST(child, delivers_lines_and_a_partial_last_line_and_the_exit_status) {
  const ran r = run_shell("echo one; echo two >&2; printf 'no newline'; exit 3");
  ASSERT_TRUE(r.exit);
  EXPECT_FALSE(r.exit->signaled);
  EXPECT_EQ(r.exit->code, 3);
  EXPECT_EQ(r.out, (std::vector<std::string>{"one", "no newline"}));
  EXPECT_EQ(r.err, (std::vector<std::string>{"two"}));
  EXPECT_EQ(core::exit_reason(*r.exit), "exited with error: exit status 3");
}

TEST(child, a_signal_is_named_as_go_names_it) {
  const ran r = run_shell("kill -ABRT $$");
  ASSERT_TRUE(r.exit);
  EXPECT_TRUE(r.exit->signaled);
  EXPECT_EQ(core::exit_reason(*r.exit), "exited with error: signal: aborted");
}

TEST(child, its_exit_is_not_held_up_by_a_daemon_holding_its_pipes_which_is_killed) {
  // The daemon leaves the process group (setsid) and keeps stdout open for a minute.
  const auto started = std::chrono::steady_clock::now();
  const ran r = run_shell("setsid sh -c 'echo daemon $$; exec sleep 60' & sleep 0.2; exit 0");
  ASSERT_TRUE(r.exit) << "the exit was not reported";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_EQ(r.out.size(), 1u);
  const int daemon = std::stoi(r.out[0].substr(7));
  const auto gone = [&] { return read_proc_stat(daemon).pid == 0; };
  for (int i = 0; i < 1000 && !gone(); ++i) ::usleep(5000);
  EXPECT_TRUE(gone()) << "the daemon " << daemon << " outlived the runtime";
}

TEST(child, a_missing_program_is_a_spawn_error_in_words) {
  boost::asio::io_context ioc;
  spawn_request req{"/no/such/bootstrap", "/", {}, {}, std::uint64_t{128} << 20, {}, 0, {}};
  try {
    child::spawn(ioc.get_executor(), req, [](stream, std::string_view) {});
    FAIL() << "spawned";
  } catch (const spawn_error& e) {
    EXPECT_STREQ(e.what(), "no such file");
    EXPECT_EQ(e.error(), ENOENT);
  }
}

TEST(child, terminate_escalates_to_sigkill_for_a_runtime_that_ignores_sigterm) {
  // Terminated once it ignores SIGTERM (it says so).
  const ran r = run_shell("trap '' TERM; echo ready; while :; do sleep 1; done", std::chrono::seconds(10),
                          [](child& c, std::string_view line) {
                            if (line == "ready") c.terminate(std::chrono::milliseconds(100));
                          });
  ASSERT_TRUE(r.exit);
  EXPECT_TRUE(r.exit->signaled);
  EXPECT_EQ(r.exit->signal, SIGKILL);
}

TEST(tree_watch, sees_a_process_and_its_memory) {
  tree_watch w(::getpid());
  const auto s = w.take();
  EXPECT_GE(s.processes, 1u);
  EXPECT_GT(s.peak_bytes, 0u);
  EXPECT_GT(s.current_bytes, 0u);
  const proc_stat self = read_proc_stat(::getpid());
  EXPECT_EQ(self.pid, ::getpid());
  EXPECT_EQ(self.ppid, ::getppid());
  EXPECT_GT(self.start_time, 0u);
}

} // namespace
} // namespace lemu::process
