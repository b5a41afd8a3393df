#include <lemu/app/function_sandbox.hpp>

#include <lemu/core/errors.hpp>
#include <lemu/process/cgroup.hpp>
#include <lemu/util/text.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace lemu::app {

namespace fs = std::filesystem;

namespace {

// The bytes of the regular files under `dir`, counting stopped once past `stop_after`.
std::uintmax_t tree_bytes(const fs::path& dir, std::uintmax_t stop_after) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code e;
    if (it->is_regular_file(e) && !it->is_symlink(e)) total += it->file_size(e);
    if (total > stop_after) break;
  }
  return total;
}

void check_layers(const core::function_config& fn) {
  if (fn.layers.size() > max_layers) {
    throw core::usage_error(std::to_string(fn.layers.size()) + " layers: Lambda allows at most " + std::to_string(max_layers) +
                            " per function (InvalidParameterValueException)");
  }
  if (fn.layers.empty()) return;
  std::uintmax_t layers = 0;
  for (const auto& l : fn.layers) {
    std::error_code ec;
    if (!fs::is_directory(l, ec)) throw core::usage_error("--layer " + l.string() + ": not a folder (a layer is its unzipped content)");
    layers += tree_bytes(l, max_unzipped_bytes - layers);
    if (layers > max_unzipped_bytes) {
      throw core::usage_error("InvalidParameterValueException: Layers consume more than the available size of " +
                              std::to_string(max_unzipped_bytes) + " bytes");
    }
  }
  const std::uintmax_t total = layers + tree_bytes(fn.task_root(), max_unzipped_bytes - layers);
  if (total > max_unzipped_bytes) {
    throw core::usage_error("InvalidParameterValueException: Function code combined with layers exceeds the maximum "
                            "allowed size of " + std::to_string(max_unzipped_bytes) + " bytes. The actual size is " +
                            std::to_string(total) + " bytes.");
  }
}

// qemu-aarch64-static (or qemu-aarch64) on PATH; LEMU_QEMU_AARCH64 names another (empty: none, for tests).
fs::path find_qemu() {
  if (const char* forced = std::getenv("LEMU_QEMU_AARCH64")) {
    std::error_code ec;
    return *forced != '\0' && fs::exists(forced, ec) ? fs::path(forced) : fs::path();
  }
  const char* path = std::getenv("PATH");
  const auto dirs = util::split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':');
  for (const char* name : {"qemu-aarch64-static", "qemu-aarch64"}) {
    for (const auto d : dirs) {
      const fs::path p = fs::path(d) / name;
      if (!d.empty() && ::access(p.c_str(), X_OK) == 0) return fs::absolute(p);
    }
  }
  return {};
}

bool needs_emulator(const fs::path& executable) {
  return elf_architecture(executable) == "arm64" && host_architecture() != "arm64";
}

fs::path emulator_for(const core::function_config& fn) {
  if (!fn.emulator.empty()) return fn.emulator;
  const fs::path q = find_qemu();
  if (q.empty()) {
    throw process::spawn_error(ENOENT, "an arm64 binary needs qemu-aarch64-static here, which is not installed (apt install qemu-user-static)");
  }
  return q;
}

} // namespace

std::string elf_architecture(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char h[20] = {};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return "";
  if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return "";
  const unsigned machine = h[5] == 2 ? (h[18] << 8) | h[19] : h[18] | (h[19] << 8); // EI_DATA: 2 = big-endian
  if (machine == 62) return "x86_64";  // EM_X86_64
  if (machine == 183) return "arm64";  // EM_AARCH64
  return "";
}

std::string host_architecture() {
  utsname u{};
  ::uname(&u);
  const std::string m = u.machine;
  return m == "aarch64" || m == "arm64" ? "arm64" : m;
}

std::vector<std::string> prepare_function(core::function_config& fn) {
  std::vector<std::string> warnings;
  check_layers(fn);

  // The architecture: the bootstrap's ELF header says it; --architecture (or the template's) only notes a
  // difference. A script runs on this machine's interpreter whatever was declared.
  const std::string elf = elf_architecture(fn.bootstrap);
  const std::string host = host_architecture();
  if (!elf.empty()) {
    if (!fn.architecture.empty() && fn.architecture != elf) {
      warnings.push_back("the function is declared " + fn.architecture + " but " + fn.bootstrap.string() + " is an " + elf +
                         " binary: it runs as " + elf);
    }
    fn.architecture = elf;
  } else if (fn.architecture.empty()) {
    fn.architecture = host;
  }
  if (elf == "arm64" && host != "arm64") {
    fn.emulator = find_qemu();
    if (fn.emulator.empty()) {
      throw core::usage_error(fn.bootstrap.string() + " is an arm64 (aarch64) binary and this machine is " + host +
                              ": lemu runs it through qemu-aarch64-static, which is not installed (apt install qemu-user-static)");
    }
    warnings.push_back(fn.bootstrap.string() + " is an arm64 binary: it runs through " + fn.emulator.string() +
                       " (emulated: its durations are not Graviton's; REPORT says so)");
  }

  if (fn.cpu_like_lambda) {
    if (const std::string why = process::why_no_cpu_quota(); !why.empty()) {
      warnings.push_back("--cpu-like-lambda: " + why + ": the function runs at this machine's full speed");
    }
  }

  fn.sandboxed = false;
  if (fn.sandbox != core::function_config::sandbox_mode::off) {
    std::string why = sandbox::why_unavailable();
    if (why.empty()) {
      try {
        sandbox::sandbox::create(layout_of(fn)); // this function's own layout builds (its layers merge)
      } catch (const sandbox::sandbox_error& e) {
        why = e.what();
      }
    }
    if (why.empty()) {
      fn.sandboxed = true;
    } else if (fn.sandbox == core::function_config::sandbox_mode::on) {
      throw core::usage_error("--sandbox: cannot build Lambda's filesystem here: " + why + " (--no-sandbox runs without it)");
    } else {
      warnings.push_back("no sandbox (" + why + "): the function sees this machine's filesystem, /tmp included, and its "
                         "task root at " + fn.task_root().string() + " is writable; --no-sandbox says so without this warning");
    }
  }
  if (!fn.sandboxed && !fn.layers.empty()) {
    warnings.push_back("the layers are not at /opt without the sandbox: their lib/ and bin/ folders are on LD_LIBRARY_PATH "
                       "and PATH instead");
  }
  return warnings;
}

sandbox::layout layout_of(const core::function_config& fn) {
  sandbox::layout l;
  l.task_root = fn.task_root().lexically_normal();
  const fs::path bootstrap_dir = fn.bootstrap.parent_path().lexically_normal();
  if (bootstrap_dir != l.task_root && !sandbox::is_under(bootstrap_dir, l.task_root)) l.runtime_dir = bootstrap_dir;
  l.layers = fn.layers;
  l.tmp_mb = fn.ephemeral_storage_mb;
  const auto covered = [&](const fs::path& p) {
    if (p == l.task_root || sandbox::is_under(p, l.task_root) || (!l.runtime_dir.empty() && sandbox::is_under(p, l.runtime_dir))) return true;
    for (const auto& layer : l.layers) {
      if (sandbox::is_under(p, layer)) return true;
    }
    return false;
  };
  for (const auto& x : fn.extensions) {
    const fs::path dir = x.parent_path().lexically_normal();
    if (!covered(x) && std::find(l.host_dirs.begin(), l.host_dirs.end(), dir) == l.host_dirs.end()) l.host_dirs.push_back(dir);
  }
  if (!fn.emulator.empty()) l.host_dirs.push_back(fn.emulator.parent_path());
  // A link at the top of the task root to a folder outside it (node_modules of a workspace): the folder
  // is shown read-only at its own path, so that the link resolves inside too.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(l.task_root, ec)) {
    std::error_code e;
    if (!entry.is_symlink(e)) continue;
    const fs::path target = fs::weakly_canonical(entry.path(), e);
    if (e || covered(target)) continue;
    const fs::path dir = fs::is_directory(target, e) ? target : target.parent_path();
    if (std::find(l.host_dirs.begin(), l.host_dirs.end(), dir) == l.host_dirs.end()) l.host_dirs.push_back(dir);
  }
  return l;
}

process::spawn_request spawn_request_for(const core::function_config& fn, const sandbox::sandbox* box,
                                         const fs::path& executable, std::vector<std::string> envp,
                                         std::vector<std::string> args) {
  process::spawn_request req;
  req.envp = std::move(envp);
  req.memory_limit_bytes = std::uint64_t{fn.memory_mb} << 20;
  if (fn.cpu_like_lambda) req.cpu_share = fn.memory_mb / mb_per_vcpu;
  const auto seen = [&](const fs::path& p) { return box ? box->inside(p) : p; };
  if (needs_emulator(executable)) {
    const fs::path qemu = emulator_for(fn);
    req.executable = seen(qemu);
    req.host_executable = qemu;
    args.insert(args.begin(), seen(executable).string());
  } else {
    req.executable = seen(executable);
    req.host_executable = executable;
  }
  req.args = std::move(args);
  req.working_directory = box ? fs::path(sandbox::task_root_inside) : fn.task_root();
  if (box) req.namespaces = box->enter_descriptors();
  return req;
}

} // namespace lemu::app
