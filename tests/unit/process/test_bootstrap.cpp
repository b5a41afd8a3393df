// What can be wrong with a bootstrap, found before it starts and read from a failed exec.
#include <lemu/process/bootstrap.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <cerrno>
#include <unistd.h>

namespace lemu::process {
namespace {

namespace fs = std::filesystem;

struct scratch {
  fs::path dir = fs::temp_directory_path() / ("lemu-unit-bootstrap-" + std::to_string(::getpid()));
  scratch() { fs::create_directories(dir); }
  ~scratch() { fs::remove_all(dir); }
  fs::path file(const std::string& name, const std::string& content, bool executable) const {
    const fs::path p = dir / name;
    std::ofstream(p) << content;
    fs::permissions(p, executable ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }
};

TEST(bootstrap_problem, says_what_is_wrong_in_words) {
  scratch s;
  EXPECT_EQ(bootstrap_problem(s.dir / "missing"), "no such file");
  EXPECT_EQ(bootstrap_problem(s.dir), "is a directory");
  if (::geteuid() != 0) { // root may execute anything
    EXPECT_EQ(bootstrap_problem(s.file("plain", "x", false)), "not executable (chmod +x it)");
  }
  EXPECT_EQ(bootstrap_problem(s.file("script", "#!/no/such/sh -e\necho\n", true)),
            "its interpreter /no/such/sh (from its #! line) does not exist");
  EXPECT_EQ(bootstrap_problem(s.file("good", "#!/bin/sh\necho\n", true)), std::nullopt);
}

TEST(exec_failure_reason, names_a_missing_interpreter_rather_than_the_script) {
  scratch s;
  const auto script = s.file("script", "#!/no/such/python3\n", true);
  EXPECT_EQ(exec_failure_reason(script, ENOENT), "its interpreter /no/such/python3 (from its #! line) does not exist");
  EXPECT_EQ(exec_failure_reason(s.dir / "gone", ENOENT), "no such file");
  EXPECT_EQ(exec_failure_reason(script, EACCES), "not executable (chmod +x it)");
  EXPECT_EQ(exec_failure_reason(s.file("elf", std::string("\x7f" "ELF\x02\x01", 6), true), ENOENT),
            "the dynamic loader it was linked for is missing (built for another system or architecture?)");
}

} // namespace
} // namespace lemu::process
