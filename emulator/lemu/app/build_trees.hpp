#pragma once
// Where the bootstraps of the build tools users have end up: cargo lambda's target/lambda/<bin>/bootstrap,
// found from anywhere inside the cargo workspace.

#include <filesystem>
#include <string>

namespace lemu::app {

// The cargo workspace `start` is in: the outermost folder, from `start` up, whose Cargo.toml has a
// [workspace] table, else the nearest folder with a Cargo.toml. Empty when there is none.
std::filesystem::path cargo_workspace(const std::filesystem::path& start);

// lemu run --cargo-lambda NAME: <target dir>/lambda/NAME/bootstrap, the target dir being CARGO_TARGET_DIR
// (relative to the workspace) or the workspace's target/. Throws core::usage_error when there is no
// workspace, or no such bootstrap (naming the path tried, the binaries that are built, and the command
// that builds this one).
std::filesystem::path find_cargo_lambda(const std::string& name, const std::filesystem::path& start);

} // namespace lemu::app
