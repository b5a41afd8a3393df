#pragma once
// What can be wrong with a bootstrap, in words a user can act on (PROTOCOL: Lambda reports these as
// Runtime.InvalidEntrypoint, "Couldn't find valid bootstrap(s)").

#include <lemu/core/function_config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lemu::process {

// Why `bootstrap` cannot be started, found without starting it: "no such file", "is a directory", "not
// executable (chmod +x it)", "its interpreter /usr/bin/python9 (from its #! line) does not exist", "is empty",
// "is truncated: its ELF headers need N bytes, the file has M" (a binary a build is still writing, or cut).
// nullopt when it looks startable.
std::optional<std::string> bootstrap_problem(const std::filesystem::path& bootstrap);

// A bootstrap as a user names it: a folder holding a file named `bootstrap` (cargo lambda's
// target/lambda/NAME, a SAM build's .aws-sam/build/ID) stands for that file; anything else is itself.
std::filesystem::path bootstrap_argument(const std::filesystem::path& given);

// Why execve(bootstrap) failed with `err`, in the same words (the interpreter named when a script's is
// missing, which the kernel reports as ENOENT about the script itself).
std::string exec_failure_reason(const std::filesystem::path& bootstrap, int err);

// Throws core::usage_error ("Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [PATH]: why")
// when the function's bootstrap cannot be started as it is.
void check_bootstrap(const core::function_config& fn);

// The external extensions of a task root (PROTOCOL.md §2.1: Lambda starts every executable in
// /opt/extensions/; lemu looks in <task root>/extensions/), sorted by file name: regular files (or links to
// them) with an execute bit. Hidden files are skipped. None when the folder does not exist.
std::vector<std::filesystem::path> find_extensions(const std::filesystem::path& task_root);

// Adds `given` (--extension) after the found ones and checks them all: each must be startable (else
// core::usage_error naming it and why), no two may share a file name (it is the name they register with), and
// there may be at most 10 (Lambda's limit).
void check_extensions(core::function_config& fn, const std::vector<std::string>& given);

} // namespace lemu::process
