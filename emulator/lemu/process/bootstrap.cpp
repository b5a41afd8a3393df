#include <lemu/process/bootstrap.hpp>

#include <algorithm>

#include <lemu/core/exit_codes.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

namespace lemu::process {

namespace {

// The first bytes of a file ("" when it cannot be read).
std::string head_of(const std::filesystem::path& p, std::size_t n) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out(n, '\0');
  const ssize_t got = ::read(fd, out.data(), n);
  ::close(fd);
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

// The interpreter a "#!" line names, or "" when the file has none.
std::string shebang_interpreter(const std::filesystem::path& p) {
  const std::string head = head_of(p, 256);
  if (head.rfind("#!", 0) != 0) return {};
  std::string_view line(head);
  line.remove_prefix(2);
  line = line.substr(0, line.find('\n'));
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  const auto end = line.find_first_of(" \t\r");
  return std::string(line.substr(0, end));
}

bool is_elf(const std::filesystem::path& p) { return head_of(p, 4) == "\x7f" "ELF"; }

// A little-endian unsigned integer of `n` bytes at `at` in `b` (0 when out of range).
std::uint64_t le(const std::string& b, std::size_t at, std::size_t n) {
  if (at + n > b.size()) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

// How many bytes an ELF file says it has at least: the end of its section header table and of every
// segment's file image (a little-endian ELF of either class); 0 when it cannot tell.
std::uint64_t elf_extent(const std::filesystem::path& p) {
  const std::string h = head_of(p, 64);
  if (h.size() < 52 || h[5] != 1) return 0;
  const bool wide = h[4] == 2;
  const std::uint64_t phoff = wide ? le(h, 0x20, 8) : le(h, 0x1c, 4);
  const std::uint64_t shoff = wide ? le(h, 0x28, 8) : le(h, 0x20, 4);
  const std::uint64_t phentsize = le(h, wide ? 0x36 : 0x2a, 2), phnum = le(h, wide ? 0x38 : 0x2c, 2);
  const std::uint64_t shentsize = le(h, wide ? 0x3a : 0x2e, 2), shnum = le(h, wide ? 0x3c : 0x30, 2);
  std::uint64_t extent = std::max(phoff + phentsize * phnum, shoff + shentsize * shnum);
  if (phnum == 0 || phentsize < (wide ? 56u : 32u) || phoff + phentsize * phnum > (1u << 20)) return extent;
  const std::string table = head_of(p, phoff + phentsize * phnum);
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::size_t at = phoff + i * phentsize;
    const std::uint64_t offset = wide ? le(table, at + 8, 8) : le(table, at + 4, 4);
    const std::uint64_t filesz = wide ? le(table, at + 32, 8) : le(table, at + 16, 4);
    extent = std::max(extent, offset + filesz);
  }
  return extent;
}

// The reason for an ENOENT from execve when the file itself exists.
std::string missing_interpreter(const std::filesystem::path& p) {
  const std::string interpreter = shebang_interpreter(p);
  if (!interpreter.empty()) {
    if (::access(interpreter.c_str(), F_OK) != 0) return "its interpreter " + interpreter + " (from its #! line) does not exist";
    if (::access(interpreter.c_str(), X_OK) != 0) return "its interpreter " + interpreter + " (from its #! line) is not executable";
    return "its interpreter " + interpreter + " (from its #! line) cannot be started";
  }
  if (is_elf(p)) return "the dynamic loader it was linked for is missing (built for another system or architecture?)";
  return "no such file";
}

} // namespace

std::optional<std::string> bootstrap_problem(const std::filesystem::path& bootstrap) {
  std::error_code ec;
  const auto st = std::filesystem::status(bootstrap, ec);
  if (!std::filesystem::exists(st)) return "no such file";
  if (std::filesystem::is_directory(st)) return "is a directory";
  if (::access(bootstrap.c_str(), X_OK) != 0) return "not executable (chmod +x it)";
  const auto size = std::filesystem::file_size(bootstrap, ec);
  if (!ec && size == 0) return "is empty (is a build still writing it?)";
  if (!ec && is_elf(bootstrap)) {
    if (const auto extent = elf_extent(bootstrap); extent > size) {
      return "is truncated: its ELF headers need " + std::to_string(extent) + " bytes, the file has " +
             std::to_string(size) + " (is a build still writing it?)";
    }
  }
  const std::string interpreter = shebang_interpreter(bootstrap);
  if (!interpreter.empty() && ::access(interpreter.c_str(), X_OK) != 0) return missing_interpreter(bootstrap);
  return std::nullopt;
}

std::string exec_failure_reason(const std::filesystem::path& bootstrap, int err) {
  switch (err) {
  case ENOENT: return ::access(bootstrap.c_str(), F_OK) == 0 ? missing_interpreter(bootstrap) : "no such file";
  case EACCES: return ::access(bootstrap.c_str(), F_OK) == 0 ? "not executable (chmod +x it)" : "permission denied";
  case ENOEXEC: return "not an executable this machine can run (no #! line, and not a binary for this system)";
  case EISDIR: return "is a directory";
  default: return std::strerror(err);
  }
}

std::filesystem::path bootstrap_argument(const std::filesystem::path& given) {
  std::error_code ec;
  if (std::filesystem::is_directory(given, ec) && std::filesystem::exists(given / "bootstrap", ec)) return given / "bootstrap";
  return given;
}

void check_bootstrap(const core::function_config& fn) {
  if (const auto problem = bootstrap_problem(fn.bootstrap)) {
    throw core::usage_error("Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [" + fn.bootstrap.string() +
                            "]: " + *problem);
  }
}

std::vector<std::filesystem::path> find_extensions(const std::filesystem::path& task_root) {
  namespace fs = std::filesystem;
  std::vector<fs::path> found;
  std::error_code ec;
  const fs::path dir = task_root / "extensions";
  if (!fs::is_directory(dir, ec)) return found;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (name.empty() || name.front() == '.') continue;
    if (!fs::is_regular_file(p, ec)) continue;
    if ((fs::status(p, ec).permissions() & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) ==
        fs::perms::none)
      continue;
    found.push_back(fs::absolute(p).lexically_normal());
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return found;
}

void check_extensions(core::function_config& fn, const std::vector<std::string>& given) {
  namespace fs = std::filesystem;
  fn.extensions = find_extensions(fn.task_root());
  // The layers' extensions/ as /opt/extensions holds them: a later layer's file replaces an earlier one's.
  std::vector<fs::path> from_layers;
  for (const auto& layer : fn.layers) {
    for (auto& x : find_extensions(layer)) {
      std::erase_if(from_layers, [&](const fs::path& p) { return p.filename() == x.filename(); });
      from_layers.push_back(std::move(x));
    }
  }
  std::sort(from_layers.begin(), from_layers.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  fn.extensions.insert(fn.extensions.end(), from_layers.begin(), from_layers.end());
  for (const auto& g : given) fn.extensions.push_back(fs::absolute(g).lexically_normal());
  for (std::size_t i = 0; i < fn.extensions.size(); ++i) {
    const fs::path& x = fn.extensions[i];
    if (const auto problem = bootstrap_problem(x)) throw core::usage_error("extension " + x.string() + ": " + *problem);
    for (std::size_t j = 0; j < i; ++j) {
      if (fn.extensions[j].filename() == x.filename()) {
        throw core::usage_error("extensions " + fn.extensions[j].string() + " and " + x.string() +
                                " have the same file name, which is the name an extension registers with");
      }
    }
  }
  if (fn.extensions.size() > 10) {
    throw core::usage_error(std::to_string(fn.extensions.size()) +
                            " extensions, Lambda allows at most 10 (the task root's and the layers' extensions/ folders and --extension)");
  }
}

} // namespace lemu::process
