#pragma once
// How a function's processes are started to look like Lambda's (README "The sandbox", "arm64 functions",
// "CPU like Lambda's"): decided once per function at a command's start (prepare_function), applied to every
// process an execution environment starts (spawn_request_for).

#include <lemu/core/function_config.hpp>
#include <lemu/process/child.hpp>
#include <lemu/sandbox/sandbox.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace lemu::app {

// Lambda's layer limits: at most 5, and the code and the layers unzipped at most 262,144,000 bytes.
inline constexpr std::size_t max_layers = 5;
inline constexpr std::uintmax_t max_unzipped_bytes = 262144000;
// Lambda gives one vCPU at 1,769 MB; --cpu-like-lambda gives memory_mb / 1769 of a core.
inline constexpr double mb_per_vcpu = 1769.0;

// Checks the layers (core::usage_error with Lambda's words), finds the bootstrap's architecture and the
// emulator it needs (core::usage_error when qemu is missing, naming the package), decides fn.sandboxed.
// Returns the warnings to print: the sandbox is off and why, the architecture seen, no CPU quota.
std::vector<std::string> prepare_function(core::function_config& fn);

// The sandbox layout of the function's environments.
sandbox::layout layout_of(const core::function_config& fn);

// How to start `executable` (the bootstrap or an extension, a host path) of `fn`: in `box` when there is one
// (the paths inside, the namespaces), through the emulator when it is an aarch64 binary on another machine,
// with the function's memory limit and CPU share.
process::spawn_request spawn_request_for(const core::function_config& fn, const sandbox::sandbox* box,
                                         const std::filesystem::path& executable, std::vector<std::string> envp,
                                         std::vector<std::string> args);

// "x86_64", "arm64" from an ELF header; "" when the file is not an ELF binary (a script) or another machine's.
std::string elf_architecture(const std::filesystem::path& file);
// This machine's, in Lambda's words ("x86_64", "arm64").
std::string host_architecture();

} // namespace lemu::app
