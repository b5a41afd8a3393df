#include <lemu/sandbox/sandbox.hpp>

#include <fcntl.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>

namespace lemu::sandbox {

namespace fs = std::filesystem;

namespace {

// ---- the plan: every step of the build, as data the child only executes -----------------------------------

enum class step_kind {
  unshare_user_mount, // unshare(CLONE_NEWUSER | CLONE_NEWNS)
  unshare_user,       // unshare(CLONE_NEWUSER)
  write_file,         // a = path, data = content (the id maps)
  make_private,       // mount --make-rprivate /
  mkdir,              // a (EEXIST is fine)
  symlink,            // data -> a
  touch,              // a: an empty file (a mount point for a file)
  bind,               // a = source, b = target (recursive)
  tmpfs,              // b = target, data = options
  overlay,            // b = target, data = options (read-only)
  read_only,          // b: that mount and every one below it read-only (mount_setattr, AT_RECURSIVE)
  read_only_top,      // b: that mount only
  pivot,              // chdir(b), pivot_root(".", "."), umount the old root, chdir("/")
  open_ns,            // a = /proc/self/ns/..., kept as the next descriptor to send
  reopen,             // a = a host folder opened again (O_PATH) onto descriptor `fd`, in the new mount namespace
};

struct step {
  step_kind kind;
  std::string a, b, data;
  bool optional = false; // a failure is ignored (e.g. /dev/shm that is not a mount of its own)
  std::string what;      // for the error message
  int fd = -1;
};

// The build's root, before pivot_root: a tmpfs mounted over /tmp in the new mount namespace (only there).
constexpr const char* base = "/tmp";

struct plan {
  std::vector<step> steps;
  std::vector<int> sources; // O_PATH descriptors of the folders bound from the host (inherited by the child)

  ~plan() {
    for (int fd : sources) ::close(fd);
  }

  void add(step s) { steps.push_back(std::move(s)); }

  // A host folder as a bind source that still resolves after base is covered: /proc/self/fd/N. The parent
  // holds N (so that the number is free); the child opens the folder again onto it once in its own mount
  // namespace (a mount of another namespace cannot be bound).
  std::string source_of(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw sandbox_error("cannot open " + dir.string() + ": " + std::strerror(errno));
    sources.push_back(fd);
    step s{step_kind::reopen, dir.string(), {}, {}, false, "open " + dir.string()};
    s.fd = fd;
    add(std::move(s));
    return "/proc/self/fd/" + std::to_string(fd);
  }

  void mkdir(const std::string& inside) { add({step_kind::mkdir, std::string(base) + inside, {}, {}, false, "mkdir " + inside}); }
  void mkdirs(const fs::path& inside) {
    fs::path so_far;
    for (const auto& part : inside) {
      so_far /= part;
      if (so_far != "/") mkdir(so_far.string());
    }
  }
  void bind(const std::string& source, const std::string& inside, bool read_only, bool optional = false) {
    add({step_kind::bind, source, std::string(base) + inside, {}, optional, "mount " + inside});
    if (read_only) add({step_kind::read_only, {}, std::string(base) + inside, {}, optional, "make " + inside + " read-only"});
  }
  // What a host folder holds, each entry in the same place inside (read-only), but those in `skip`.
  void mirror(const fs::path& host, const std::vector<std::string_view>& skip) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(host, ec)) {
      const std::string name = entry.path().filename().string();
      if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      const std::string inside = (host / name).string();
      std::error_code e;
      if (entry.is_symlink(e)) {
        add({step_kind::symlink, std::string(base) + inside, {}, fs::read_symlink(entry.path(), e).string(), false, "link " + inside});
      } else if (entry.is_directory(e)) {
        mkdir(inside);
        bind(inside, inside, true);
      } else if (entry.is_regular_file(e)) {
        add({step_kind::touch, std::string(base) + inside, {}, {}, false, "create " + inside});
        bind(inside, inside, true);
      }
    }
  }
};

plan make_plan(const layout& l) {
  plan p;
  const std::string uid = std::to_string(::geteuid()), gid = std::to_string(::getegid());
  // Outer namespace: uid 0 is the caller, with every capability over the mounts it makes.
  p.add({step_kind::unshare_user_mount, {}, {}, {}, false, "unshare(CLONE_NEWUSER|CLONE_NEWNS)"});
  p.add({step_kind::write_file, "/proc/self/setgroups", {}, "deny", false, "write /proc/self/setgroups"});
  p.add({step_kind::write_file, "/proc/self/uid_map", {}, "0 " + uid + " 1", false, "write /proc/self/uid_map"});
  p.add({step_kind::write_file, "/proc/self/gid_map", {}, "0 " + gid + " 1", false, "write /proc/self/gid_map"});
  p.add({step_kind::make_private, {}, {}, {}, false, "make / private"});

  // The sources are opened now, before the root covers /tmp (where task roots often are).
  const std::string task = p.source_of(l.task_root);
  const std::string runtime = l.runtime_dir.empty() ? std::string() : p.source_of(l.runtime_dir);
  std::vector<std::string> layers;
  for (const auto& dir : l.layers) layers.push_back(p.source_of(dir));
  std::vector<std::pair<std::string, fs::path>> host_dirs;
  for (const auto& dir : l.host_dirs) host_dirs.emplace_back(p.source_of(dir), dir);

  p.add({step_kind::tmpfs, {}, base, "mode=0755,size=1m", false, "mount the root (tmpfs)"});
  // The host's top-level folders, read-only, but those Lambda has its own of.
  p.mirror("/", {"proc", "sys", "dev", "tmp", "var", "opt"});
  p.mkdir("/var");
  p.mirror("/var", {"task", "runtime", "tmp"});
  p.mkdir("/var/tmp");
  p.mkdir(task_root_inside);
  p.bind(task, task_root_inside, true);
  p.mkdir(runtime_dir_inside);
  if (!runtime.empty()) p.bind(runtime, runtime_dir_inside, true);
  p.mkdir(layers_inside);
  if (layers.size() == 1) {
    p.bind(layers.front(), layers_inside, true);
  } else if (layers.size() > 1) {
    std::string lower = "lowerdir=";
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) { // overlayfs: the leftmost is on top
      if (it != layers.rbegin()) lower += ':';
      lower += *it;
    }
    p.add({step_kind::overlay, {}, std::string(base) + layers_inside, lower, false, "merge the layers at /opt (overlayfs)"});
  }
  p.mkdir("/dev");
  p.bind("/dev", "/dev", false);
  // Lambda has no /dev/shm to write to: the host's is made read-only here (where it is a mount of its own).
  p.add({step_kind::read_only, {}, std::string(base) + "/dev/shm", {}, true, "make /dev/shm read-only"});
  p.mkdir("/proc");
  p.bind("/proc", "/proc", false);
  p.mkdir("/sys");
  p.bind("/sys", "/sys", true);
  p.mkdir("/tmp");
  p.add({step_kind::tmpfs, {}, std::string(base) + "/tmp", "mode=1777,size=" + std::to_string(l.tmp_mb) + "m", false,
         "mount /tmp (tmpfs)"});
  for (const auto& [source, dir] : host_dirs) {
    if (!is_under(dir, "/tmp") && !is_under(dir, "/var")) continue; // visible already, read-only
    p.mkdirs(dir);
    p.bind(source, dir.string(), true);
  }
  p.add({step_kind::pivot, {}, base, {}, false, "pivot_root"});
  p.add({step_kind::read_only_top, {}, "/", {}, false, "make / read-only"});
  p.add({step_kind::open_ns, "/proc/self/ns/user", {}, {}, false, "open the user namespace"});
  p.add({step_kind::open_ns, "/proc/self/ns/mnt", {}, {}, false, "open the mount namespace"});
  // Inner namespace: the caller's uid again, without capabilities over the mounts (the outer one owns them).
  p.add({step_kind::unshare_user, {}, {}, {}, false, "unshare(CLONE_NEWUSER) (inner)"});
  p.add({step_kind::write_file, "/proc/self/setgroups", {}, "deny", false, "write the inner setgroups"});
  p.add({step_kind::write_file, "/proc/self/uid_map", {}, uid + " 0 1", false, "write the inner uid_map"});
  p.add({step_kind::write_file, "/proc/self/gid_map", {}, gid + " 0 1", false, "write the inner gid_map"});
  p.add({step_kind::open_ns, "/proc/self/ns/user", {}, {}, false, "open the inner user namespace"});
  return p;
}

// ---- the child: system calls only ---------------------------------------------------------------------------

int set_read_only(const char* path, bool recursive) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  const long r = ::syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr);
  if (r == 0) return 0;
  if (errno != ENOSYS) return -1;
  // Kernels before 5.12: the mount itself only.
  return ::mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
}

int write_all(const char* path, const std::string& data) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int e = errno;
  ::close(fd);
  errno = e;
  return n == static_cast<ssize_t>(data.size()) ? 0 : -1;
}

int run_step(const step& s, int* opened, int& n_opened) {
  switch (s.kind) {
  case step_kind::unshare_user_mount: return ::unshare(CLONE_NEWUSER | CLONE_NEWNS);
  case step_kind::unshare_user: return ::unshare(CLONE_NEWUSER);
  case step_kind::write_file: return write_all(s.a.c_str(), s.data);
  case step_kind::make_private: return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  case step_kind::mkdir: return ::mkdir(s.a.c_str(), 0755) == 0 || errno == EEXIST ? 0 : -1;
  case step_kind::symlink: return ::symlink(s.data.c_str(), s.a.c_str());
  case step_kind::touch: {
    const int fd = ::open(s.a.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    ::close(fd);
    return 0;
  }
  case step_kind::bind: return ::mount(s.a.c_str(), s.b.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
  case step_kind::tmpfs: return ::mount("tmpfs", s.b.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, s.data.c_str());
  case step_kind::overlay: return ::mount("overlay", s.b.c_str(), "overlay", MS_RDONLY, s.data.c_str());
  case step_kind::read_only: return set_read_only(s.b.c_str(), true);
  case step_kind::read_only_top: return set_read_only(s.b.c_str(), false);
  case step_kind::pivot:
    if (::chdir(s.b.c_str()) != 0) return -1;
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return -1;
    if (::umount2(".", MNT_DETACH) != 0) return -1;
    return ::chdir("/");
  case step_kind::reopen: {
    const int fd = ::open(s.a.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    const int r = ::dup3(fd, s.fd, O_CLOEXEC);
    ::close(fd);
    return r < 0 ? -1 : 0;
  }
  case step_kind::open_ns: {
    const int fd = ::open(s.a.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    opened[n_opened++] = fd;
    return 0;
  }
  }
  return -1;
}

// What the child sends back: the step that failed (or -1) and its errno; the descriptors ride along.
struct result {
  int failed_step = -1;
  int error = 0;
};

[[noreturn]] void build(const plan& p, int socket) {
  int opened[3] = {-1, -1, -1};
  int n_opened = 0;
  result r;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (run_step(p.steps[i], opened, n_opened) != 0 && !p.steps[i].optional) {
      r.failed_step = static_cast<int>(i);
      r.error = errno;
      break;
    }
  }
  msghdr msg{};
  iovec iov{&r, sizeof r};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof opened)];
  if (r.failed_step < 0 && n_opened == 3) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof opened);
    std::memcpy(CMSG_DATA(c), opened, sizeof opened);
  }
  ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  ::_exit(r.failed_step < 0 ? 0 : 1);
}

// Runs the plan in a child; the three namespace descriptors (user, mount, inner user) it built.
std::array<int, 3> execute(const plan& p) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    throw sandbox_error(std::string("socketpair: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    throw sandbox_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(pair[0]);
    build(p, pair[1]);
  }
  ::close(pair[1]);
  result r;
  r.failed_step = -2;
  int fds[3] = {-1, -1, -1};
  // The child makes only system calls on its own namespaces: it ends in milliseconds. Bounded anyway.
  pollfd pfd{pair[0], POLLIN, 0};
  if (::poll(&pfd, 1, 10000) == 1) {
    msghdr msg{};
    iovec iov{&r, sizeof r};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(pair[0], &msg, MSG_CMSG_CLOEXEC) != static_cast<ssize_t>(sizeof r)) r.failed_step = -2;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof fds)) {
        std::memcpy(fds, CMSG_DATA(c), sizeof fds);
      }
    }
  } else {
    ::kill(pid, SIGKILL);
  }
  ::close(pair[0]);
  ::waitpid(pid, nullptr, 0);
  if (r.failed_step == -1 && fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0) return {fds[0], fds[1], fds[2]};
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  if (r.failed_step < 0) throw sandbox_error("the child that builds it did not answer");
  const step& s = p.steps[static_cast<std::size_t>(r.failed_step)];
  throw sandbox_error(s.what + ": " + std::strerror(r.error));
}

} // namespace

bool is_under(const fs::path& p, const fs::path& dir) {
  const auto rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

sandbox::sandbox(layout l, int outer_user, int mount, int inner_user)
    : m_layout(std::move(l)), m_outer_user(outer_user), m_mount(mount), m_inner_user(inner_user) {}

sandbox::~sandbox() {
  for (int fd : {m_outer_user, m_mount, m_inner_user}) ::close(fd);
}

std::unique_ptr<sandbox> sandbox::create(const layout& l) {
  const plan p = make_plan(l);
  const auto fds = execute(p);
  return std::make_unique<sandbox>(l, fds[0], fds[1], fds[2]);
}

fs::path sandbox::inside(const fs::path& host) const {
  const fs::path p = host.lexically_normal();
  if (p == m_layout.task_root) return task_root_inside;
  if (is_under(p, m_layout.task_root)) return fs::path(task_root_inside) / p.lexically_relative(m_layout.task_root);
  if (!m_layout.runtime_dir.empty() && p == m_layout.runtime_dir) return runtime_dir_inside;
  if (!m_layout.runtime_dir.empty() && is_under(p, m_layout.runtime_dir)) {
    return fs::path(runtime_dir_inside) / p.lexically_relative(m_layout.runtime_dir);
  }
  for (const auto& layer : m_layout.layers) {
    if (is_under(p, layer)) return fs::path(layers_inside) / p.lexically_relative(layer);
  }
  return p;
}

std::string why_unavailable() {
  const char* forced = std::getenv("LEMU_NO_USERNS");
  if (forced != nullptr && *forced != '\0' && std::string_view(forced) != "0") return "LEMU_NO_USERNS=1";
  static const std::string why = [] {
    try {
      layout probe;
      probe.task_root = "/usr";
      probe.tmp_mb = 1;
      sandbox::create(probe);
      return std::string();
    } catch (const sandbox_error& e) {
      return std::string(e.what());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }();
  return why;
}

} // namespace lemu::sandbox
