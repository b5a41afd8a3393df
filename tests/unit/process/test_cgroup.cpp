// A cgroup for one runtime, where this machine allows one (as root on cgroup v1 or a delegated v2): the
// memory limit, the peak and the final kill cover a process that left the runtime's group.
#include <lemu/process/cgroup.hpp>
#include <lemu/process/containment.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <chrono>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace lemu::process {
namespace {

TEST(cgroup, holds_a_process_and_kills_it) {
  auto g = cgroup::create(next_containment_name(), std::uint64_t{64} << 20);
  if (!g) GTEST_SKIP() << "no cgroup can be made here: " << describe_containment();
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (int fd : g->join_descriptors()) {
      if (::write(fd, "0", 1) != 1) ::_exit(2);
    }
    ::setsid(); // out of every process group: only the cgroup still knows it
    ::pause();
    ::_exit(0);
  }
  struct reaper { // whatever happens below, the child does not outlive the test
    pid_t pid;
    ~reaper() {
      if (pid <= 0) return; // never kill(-1): that is every process
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } guard{pid};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!g->has_member(pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(g->has_member(pid));
  if (g->has_memory()) {
    EXPECT_GT(g->read_usage().peak_bytes, 0u);
  }
  g->kill_all();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  guard.pid = 0; // reaped
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(cgroup, is_not_used_when_disabled) {
  ::setenv("LEMU_NO_CGROUP", "1", 1);
  EXPECT_EQ(cgroup::create(next_containment_name(), 1u << 20), nullptr);
  containment c(next_containment_name(), 1u << 20);
  EXPECT_STREQ(c.method(), "watcher");
  EXPECT_TRUE(c.join_descriptors().empty());
  ::unsetenv("LEMU_NO_CGROUP");
}

} // namespace
} // namespace lemu::process
