#include <lemu/app/build_trees.hpp>

#include <lemu/core/exit_codes.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace lemu::app {

namespace fs = std::filesystem;

namespace {

bool declares_workspace(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 11, "[workspace]") == 0) return true;
  }
  return false;
}

} // namespace

fs::path cargo_workspace(const fs::path& start) {
  fs::path nearest, workspace;
  std::error_code ec;
  for (fs::path dir = fs::absolute(start).lexically_normal();; dir = dir.parent_path()) {
    const fs::path manifest = dir / "Cargo.toml";
    if (fs::is_regular_file(manifest, ec)) {
      if (nearest.empty()) nearest = dir;
      if (declares_workspace(manifest)) workspace = dir;
    }
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return workspace.empty() ? nearest : workspace;
}

fs::path find_cargo_lambda(const std::string& name, const fs::path& start) {
  const fs::path root = cargo_workspace(start);
  if (root.empty()) {
    throw core::usage_error("--cargo-lambda " + name + ": no Cargo.toml in " + fs::absolute(start).lexically_normal().string() +
                            " or above it: run lemu inside the cargo project, or pass the bootstrap's path");
  }
  fs::path target = root / "target";
  if (const char* t = std::getenv("CARGO_TARGET_DIR"); t != nullptr && *t != '\0') target = root / t; // absolute stays
  const fs::path bootstrap = (target / "lambda" / name / "bootstrap").lexically_normal();
  std::error_code ec;
  if (fs::exists(bootstrap, ec)) return bootstrap;
  std::vector<std::string> built;
  for (fs::directory_iterator it(target / "lambda", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() != "extensions" && fs::exists(it->path() / "bootstrap", ec)) {
      built.push_back(it->path().filename().string());
    }
  }
  std::sort(built.begin(), built.end());
  std::string list;
  for (const auto& b : built) list += (list.empty() ? "" : ", ") + b;
  throw core::usage_error("--cargo-lambda " + name + ": no " + bootstrap.string() + " (build it: cargo lambda build --bin " +
                          name + ")" + (built.empty() ? std::string() : "; built: " + list));
}

} // namespace lemu::app
