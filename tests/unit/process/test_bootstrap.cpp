// What can be wrong with a bootstrap, found before it starts and read from a failed exec.
#include <lemu/process/bootstrap.hpp>

#include <lemu/core/exit_codes.hpp>

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

TEST(bootstrap_problem, sees_an_empty_or_truncated_binary_as_a_build_still_writing) {
  scratch s;
  EXPECT_EQ(bootstrap_problem(s.file("empty", "", true)), "is empty (is a build still writing it?)");
  std::ifstream in("/bin/true", std::ios::binary);
  const std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(elf.size(), 4096u);
  EXPECT_EQ(bootstrap_problem(s.file("whole", elf, true)), std::nullopt);
  const auto problem = bootstrap_problem(s.file("cut", elf.substr(0, elf.size() / 2), true));
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->rfind("is truncated: its ELF headers need ", 0), 0u) << *problem;
  EXPECT_NE(problem->find("the file has " + std::to_string(elf.size() / 2) + " (is a build still writing it?)"),
            std::string::npos) << *problem;
}

TEST(bootstrap_argument, takes_a_folder_holding_a_bootstrap_for_that_bootstrap) {
  scratch s;
  fs::create_directories(s.dir / "target/lambda/orders");
  const auto inside = s.file("target/lambda/orders/bootstrap", "#!/bin/sh\n", true);
  EXPECT_EQ(bootstrap_argument(s.dir / "target/lambda/orders"), inside);
  EXPECT_EQ(bootstrap_argument(inside), inside);
  EXPECT_EQ(bootstrap_argument(s.dir / "target"), s.dir / "target"); // no bootstrap in it: itself
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

TEST(find_extensions, takes_the_executables_of_the_extensions_folder_in_name_order) {
  scratch s;
  EXPECT_TRUE(find_extensions(s.dir).empty()) << "no extensions/ folder: none";
  fs::create_directories(s.dir / "extensions" / "a-folder");
  s.file("extensions/zeta", "#!/bin/sh\n", true);
  s.file("extensions/alpha", "#!/bin/sh\n", true);
  s.file("extensions/not-executable", "#!/bin/sh\n", false);
  s.file("extensions/.hidden", "#!/bin/sh\n", true);
  const auto found = find_extensions(s.dir);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].filename(), "alpha");
  EXPECT_EQ(found[1].filename(), "zeta");
}

TEST(check_extensions, refuses_missing_duplicate_and_too_many_extensions) {
  scratch s;
  core::function_config fn;
  fn.bootstrap = s.file("bootstrap", "#!/bin/sh\n", true);
  const std::string ext = s.file("ext", "#!/bin/sh\n", true).string();
  check_extensions(fn, {ext});
  ASSERT_EQ(fn.extensions.size(), 1u);
  EXPECT_THROW(check_extensions(fn, {(s.dir / "missing").string()}), core::usage_error);
  EXPECT_THROW(check_extensions(fn, {ext, ext}), core::usage_error);
  std::vector<std::string> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(s.file("e" + std::to_string(i), "#!/bin/sh\n", true).string());
  try {
    check_extensions(fn, eleven);
    ADD_FAILURE() << "11 extensions accepted";
  } catch (const core::usage_error& e) {
    EXPECT_STREQ(e.what(), "11 extensions, Lambda allows at most 10 (the task root's and the layers' extensions/ folders and --extension)");
  }
}

} // namespace
} // namespace lemu::process
