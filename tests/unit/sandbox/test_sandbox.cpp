// The sandbox for real: built with the kernel's namespaces, entered by forked children that report what they
// see with their exit code.
#include <lemu/sandbox/sandbox.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace fs = std::filesystem;
using lemu::sandbox::layout;
using lemu::sandbox::sandbox;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "lemu-unit-sandbox-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p;
  }
};

// Runs `check` in a child that entered the sandbox; its return value is the exit code (0: all held).
int inside(const sandbox& box, const std::function<int()>& check) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (int fd : box.enter_descriptors()) {
      if (::setns(fd, 0) != 0) ::_exit(100);
    }
    ::_exit(check());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

int write_errno(const char* path) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool available() { return lemu::sandbox::why_unavailable().empty(); }

} // namespace

TEST(Sandbox, TheTaskRootIsAtVarTaskReadOnlyAndTmpIsPrivateAndWritable) {
  if (!available()) GTEST_SKIP() << lemu::sandbox::why_unavailable();
  temp_dir task;
  task.write("bootstrap", "code");
  auto box = sandbox::create({task.path, {}, {}, 512, {}});
  const uid_t uid = ::geteuid();
  EXPECT_EQ(inside(*box, [&] {
              if (slurp("/var/task/bootstrap") != "code") return 1;
              if (write_errno("/var/task/new") != EROFS) return 2;
              if (write_errno("/usr/new") != EROFS) return 3;
              if (write_errno("/opt/new") != EROFS) return 4;
              if (write_errno("/var/new") != EROFS) return 5;
              if (write_errno("/sys/new") != EROFS && write_errno("/sys/new") != EACCES) return 6;
              if (write_errno("/tmp/new") != 0) return 7;
              if (::geteuid() != uid) return 8;
              struct statfs st {};
              if (::statfs("/tmp", &st) != 0) return 9;
              if (static_cast<std::uint64_t>(st.f_blocks) * st.f_bsize != std::uint64_t{512} << 20) return 10;
              if (::access("/dev/null", W_OK) != 0) return 11;
              if (::access("/var/runtime", F_OK) != 0) return 12;
              // The host's /tmp (where the task root is) is not seen.
              if (::access(task.path.c_str(), F_OK) == 0) return 13;
              return 0;
            }),
            0);
  // Nothing of it reached the host.
  EXPECT_FALSE(fs::exists(task.path / "new"));
}

TEST(Sandbox, TmpIsSharedByItsProcessesAndLivesAsLongAsTheSandbox) {
  if (!available()) GTEST_SKIP() << lemu::sandbox::why_unavailable();
  temp_dir task;
  auto box = sandbox::create({task.path, {}, {}, 512, {}});
  auto other = sandbox::create({task.path, {}, {}, 512, {}});
  EXPECT_EQ(inside(*box, [] {
              std::ofstream("/tmp/kept") << "warm";
              return 0;
            }),
            0);
  EXPECT_EQ(inside(*box, [] { return slurp("/tmp/kept") == "warm" ? 0 : 1; }), 0);
  EXPECT_EQ(inside(*other, [] { return ::access("/tmp/kept", F_OK) == 0 ? 1 : 0; }), 0);
}

TEST(Sandbox, TmpStopsAtItsSizeWithEnospc) {
  if (!available()) GTEST_SKIP() << lemu::sandbox::why_unavailable();
  temp_dir task;
  auto box = sandbox::create({task.path, {}, {}, 2, {}});
  EXPECT_EQ(inside(*box, [] {
              const int fd = ::open("/tmp/big", O_WRONLY | O_CREAT, 0644);
              if (fd < 0) return 1;
              static char block[64 * 1024] = {};
              for (int i = 0; i < 64; ++i) { // 4 MiB into 2
                if (::write(fd, block, sizeof block) < 0) return errno == ENOSPC ? 0 : 2;
              }
              return 3;
            }),
            0);
}

TEST(Sandbox, LayersAreMergedAtOptLaterOnesWin) {
  if (!available()) GTEST_SKIP() << lemu::sandbox::why_unavailable();
  temp_dir task, first, second;
  first.write("lib/libshared.txt", "first");
  first.write("bin/only-first", "1");
  second.write("lib/libshared.txt", "second");
  auto box = sandbox::create({task.path, {}, {first.path, second.path}, 512, {}});
  EXPECT_EQ(inside(*box, [] {
              if (slurp("/opt/lib/libshared.txt") != "second") return 1;
              if (slurp("/opt/bin/only-first") != "1") return 2;
              if (write_errno("/opt/lib/new") != EROFS) return 3;
              return 0;
            }),
            0);
  EXPECT_EQ(box->inside(second.path / "extensions/x"), "/opt/extensions/x");
}

TEST(Sandbox, AHiddenHostFolderCanBeShownReadOnly) {
  if (!available()) GTEST_SKIP() << lemu::sandbox::why_unavailable();
  temp_dir task, tool;
  tool.write("extension", "ext");
  auto box = sandbox::create({task.path, {}, {}, 512, {tool.path}});
  const std::string file = (tool.path / "extension").string();
  EXPECT_EQ(inside(*box, [&] {
              if (slurp(file.c_str()) != "ext") return 1;
              if (write_errno((tool.path / "new").c_str()) != EROFS) return 2;
              return 0;
            }),
            0);
}

TEST(Sandbox, PathsInsideFollowTheLayout) {
  layout l{"/srv/fn", "/srv/runtime", {"/layers/a"}, 512, {}};
  lemu::sandbox::sandbox box(l, -1, -1, -1);
  EXPECT_EQ(box.inside("/srv/fn"), "/var/task");
  EXPECT_EQ(box.inside("/srv/fn/bootstrap"), "/var/task/bootstrap");
  EXPECT_EQ(box.inside("/srv/runtime/bootstrap"), "/var/runtime/bootstrap");
  EXPECT_EQ(box.inside("/layers/a/extensions/e"), "/opt/extensions/e");
  EXPECT_EQ(box.inside("/usr/bin/env"), "/usr/bin/env");
  EXPECT_EQ(box.inside("/srv/fnx/bootstrap"), "/srv/fnx/bootstrap");
}

TEST(Sandbox, LemuNoUsernsForcesTheAnswerNo) {
  ::setenv("LEMU_NO_USERNS", "1", 1);
  EXPECT_EQ(lemu::sandbox::why_unavailable(), "LEMU_NO_USERNS=1");
  ::unsetenv("LEMU_NO_USERNS");
}
