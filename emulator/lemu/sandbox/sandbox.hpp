#pragma once
// A filesystem like Lambda's for one execution environment (README "The sandbox"): a user namespace and a
// mount namespace of their own, where
//
//   /var/task     the task root, read-only            /opt   the layers merged (later ones win), read-only
//   /var/runtime  the bootstrap's folder when it is   /tmp   a private tmpfs of `tmp_mb` MB: it lives as long
//                 not the task root (else empty)             as the sandbox, across runtime restarts
//   /dev /proc    the host's                          /sys and everything else: the host's, read-only
//
// Built once per sandbox by a short-lived child (fork, then system calls only, from a plan the parent
// wrote: lemu may have threads): unshare(USER|NS), the maps (uid 0 = the caller), a tmpfs root with every
// mount above, pivot_root, then a nested user namespace that maps the caller's uid back (its processes run
// as the caller, with no capability over the mounts). The child passes three namespace descriptors back
// (SCM_RIGHTS) and exits: the namespaces live as long as this object holds them. A process enters with
// setns() on enter_descriptors(), in order, before it execs (process::spawn_request::namespaces).
//
// The network namespace stays the host's: the function reaches localhost, and lemu's Runtime API on
// 127.0.0.1.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::sandbox {

// The sandbox could not be built: what() says which step and why ("mount /var/task: Permission denied").
struct sandbox_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct layout {
  std::filesystem::path task_root;             // at /var/task
  std::filesystem::path runtime_dir;           // at /var/runtime (empty: an empty folder)
  std::vector<std::filesystem::path> layers;   // merged at /opt, the last one on top
  std::uint32_t tmp_mb = 512;                  // the size of /tmp
  // Host folders the function's processes must see at their own path although it is hidden (under /tmp or
  // /var): an --extension's folder. Read-only.
  std::vector<std::filesystem::path> host_dirs;
};

// `p` is inside `dir` (not `dir` itself), lexically.
bool is_under(const std::filesystem::path& p, const std::filesystem::path& dir);

inline constexpr const char* task_root_inside = "/var/task";
inline constexpr const char* runtime_dir_inside = "/var/runtime";
inline constexpr const char* layers_inside = "/opt";

class sandbox {
public:
  // Builds it (a few ms). Throws sandbox_error.
  static std::unique_ptr<sandbox> create(const layout& l);
  ~sandbox();
  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;

  // setns() these, in this order, to enter: the outer user namespace, the mount namespace, the inner user
  // namespace.
  std::vector<int> enter_descriptors() const { return {m_outer_user, m_mount, m_inner_user}; }

  // Where a host path is seen inside: under the task root -> /var/task/..., under the runtime folder ->
  // /var/runtime/..., under a layer -> /opt/..., else the same path.
  std::filesystem::path inside(const std::filesystem::path& host) const;
  const layout& spec() const { return m_layout; }

  sandbox(layout l, int outer_user, int mount, int inner_user);

private:
  layout m_layout;
  int m_outer_user, m_mount, m_inner_user;
};

// Whether sandboxes can be made here: probed once per process (a small sandbox is built). Empty when
// they can, else why not, in words ("user namespaces are disabled here (kernel.unprivileged_userns_clone=0)",
// "LEMU_NO_USERNS=1"). LEMU_NO_USERNS=1 forces the answer no (for tests, and to compare).
std::string why_unavailable();

} // namespace lemu::sandbox
