#include <lemu/sqs/journal.hpp>

#include <lemu/util/time.hpp>

#include <boost/crc.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lemu::sqs {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view log_magic = "LEMUSQL1";
constexpr std::string_view snapshot_magic = "LEMUSQS1";
constexpr std::size_t header_bytes = 16; // magic + u64 generation
constexpr std::size_t frame_bytes = 8;   // u32 length + u32 CRC-32
constexpr std::uint64_t compaction_floor = 1024 * 1024;

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
}

std::uint32_t get_u32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

std::uint64_t get_u64(std::string_view s, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

std::string header(std::string_view magic, std::uint64_t generation) {
  std::string h(magic);
  put_u64(h, generation);
  return h;
}

void frame(std::string& out, std::string_view record) {
  put_u32(out, static_cast<std::uint32_t>(record.size()));
  put_u32(out, crc32(record));
  out.append(record);
}

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool read_file(const fs::path& p, std::string& out, std::string& error) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = p.string() + ": " + errno_text(errno);
    return false;
  }
  out.clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = p.string() + ": " + errno_text(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Writes a new file atomically: a temporary file, fdatasync, rename over `target`, directory fsync.
bool write_atomically(const fs::path& target, std::string_view data, std::string& error) {
  const fs::path tmp = target.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = tmp.string() + ": " + errno_text(errno);
    return false;
  }
  const bool ok = write_all(fd, data) && ::fdatasync(fd) == 0;
  const int e = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), target.c_str()) != 0) {
    error = target.string() + ": " + errno_text(ok ? errno : e);
    ::unlink(tmp.c_str());
    return false;
  }
  sync_dir(target.parent_path());
  return true;
}

enum class scan_end { clean, torn, corrupt };

// Splits framed records from `data` starting at `offset`; stops at the first one that is not whole.
scan_end scan(std::string_view data, std::size_t& offset, std::vector<std::string>& records) {
  while (offset < data.size()) {
    const std::size_t left = data.size() - offset;
    if (left < frame_bytes) return scan_end::torn;
    const std::uint32_t length = get_u32(data, offset);
    const std::uint32_t crc = get_u32(data, offset + 4);
    if (length > journal::max_record_bytes) return scan_end::corrupt;
    if (left - frame_bytes < length) return scan_end::torn;
    const std::string_view payload = data.substr(offset + frame_bytes, length);
    if (crc32(payload) != crc) return left - frame_bytes == length ? scan_end::torn : scan_end::corrupt;
    records.emplace_back(payload);
    offset += frame_bytes + length;
  }
  return scan_end::clean;
}

std::string corrupt_name(const fs::path& p) { return p.string() + ".corrupt-" + std::to_string(util::epoch_ms()); }

} // namespace

struct journal::state {
  fs::path dir, log_path, snapshot_path, lock_path;
  fsync_policy policy = fsync_policy::interval;
  int lock_fd = -1;
  int log_fd = -1;
  std::uint64_t generation = 1;
  std::uint64_t log_size = 0;
  bool needs_snapshot = false;
  bool failed = false;
  std::vector<std::string> pending; // records read at open(), handed over by replay()

  std::mutex mu; // log_fd and dirty, between append/compact and the syncer
  std::condition_variable cv;
  bool dirty = false;
  bool stopping = false;
  std::thread syncer;

  void fail(const std::string& what) {
    if (failed) return;
    failed = true;
    spdlog::error("sqs state: {}: the queues go on in memory only, later changes are not saved", what);
  }

  void sync_loop() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::seconds(1));
      if (dirty && log_fd >= 0) {
        dirty = false;
        ::fdatasync(log_fd);
      }
    }
  }
};

journal::journal() : m_state(std::make_unique<state>()) {}

journal::~journal() {
  state& s = *m_state;
  if (s.syncer.joinable()) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.stopping = true;
    }
    s.cv.notify_all();
    s.syncer.join();
  }
  if (s.log_fd >= 0) {
    if (s.dirty) ::fdatasync(s.log_fd);
    ::close(s.log_fd);
  }
  if (s.lock_fd >= 0) ::close(s.lock_fd); // releases the flock
}

std::unique_ptr<journal> journal::open(const fs::path& dir, fsync_policy p, std::string& error) {
  std::unique_ptr<journal> j(new journal());
  state& s = *j->m_state;
  s.dir = dir;
  s.policy = p;
  s.log_path = dir / "sqs-journal.log";
  s.snapshot_path = dir / "sqs-snapshot.bin";
  s.lock_path = dir / "sqs.lock";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot use the SQS state directory " + dir.string() + ": " + ec.message();
    return nullptr;
  }
  s.lock_fd = ::open(s.lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s.lock_fd < 0) {
    error = "cannot use the SQS state directory " + dir.string() + ": " + s.lock_path.string() + ": " + errno_text(errno);
    return nullptr;
  }
  if (::flock(s.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    std::string holder;
    std::string read_error;
    if (e == EWOULDBLOCK && read_file(s.lock_path, holder, read_error)) {
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      error = "the SQS state directory " + dir.string() + " is in use by another lemu (pid " +
              (holder.empty() ? std::string("unknown") : holder) + ")";
    } else {
      error = "cannot lock the SQS state directory " + dir.string() + ": " + errno_text(e);
    }
    return nullptr;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(s.lock_fd, 0) != 0 || ::pwrite(s.lock_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    error = "cannot use the SQS state directory " + dir.string() + ": " + s.lock_path.string() + ": " + errno_text(errno);
    return nullptr;
  }

  // The snapshot.
  std::uint64_t snapshot_generation = 0;
  if (fs::exists(s.snapshot_path, ec)) {
    std::string data;
    if (!read_file(s.snapshot_path, data, error)) return nullptr;
    if (data.size() < header_bytes || std::string_view(data).substr(0, 8) != snapshot_magic) {
      const std::string aside = corrupt_name(s.snapshot_path);
      spdlog::warn("sqs state: {} is not a lemu snapshot: kept as {}, its state is not restored", s.snapshot_path.string(),
                   aside);
      ::rename(s.snapshot_path.c_str(), aside.c_str());
      s.needs_snapshot = true;
    } else {
      snapshot_generation = get_u64(data, 8);
      std::size_t offset = header_bytes;
      if (scan(data, offset, s.pending) != scan_end::clean) {
        const std::string aside = corrupt_name(s.snapshot_path);
        spdlog::warn("sqs state: {} is damaged at offset {}: the state before it is restored, the file kept as {}",
                     s.snapshot_path.string(), offset, aside);
        ::rename(s.snapshot_path.c_str(), aside.c_str());
        s.needs_snapshot = true;
      }
    }
  }
  s.generation = std::max<std::uint64_t>(snapshot_generation, 1);

  // The log.
  bool fresh_log = true;
  if (fs::exists(s.log_path, ec)) {
    std::string data;
    if (!read_file(s.log_path, data, error)) return nullptr;
    const bool has_header = data.size() >= header_bytes && std::string_view(data).substr(0, 8) == log_magic;
    if (!has_header && data.size() >= header_bytes) {
      const std::string aside = corrupt_name(s.log_path);
      spdlog::warn("sqs state: {} is not a lemu journal: kept as {}, its changes are not restored", s.log_path.string(),
                   aside);
      ::rename(s.log_path.c_str(), aside.c_str());
      s.needs_snapshot = true;
    } else if (has_header && get_u64(data, 8) < snapshot_generation) {
      // Compacted into the snapshot already (a crash between writing the snapshot and the new log).
    } else if (has_header) {
      s.generation = std::max(s.generation, get_u64(data, 8));
      std::size_t offset = header_bytes;
      const scan_end end = scan(data, offset, s.pending);
      if (end == scan_end::torn) {
        spdlog::warn("sqs state: {}: dropped an incomplete last record at offset {} ({} bytes; a crash while it was "
                     "written): it was never acknowledged",
                     s.log_path.string(), offset, data.size() - offset);
        if (::truncate(s.log_path.c_str(), static_cast<off_t>(offset)) != 0) {
          error = "cannot repair " + s.log_path.string() + ": " + errno_text(errno);
          return nullptr;
        }
        fresh_log = false;
        s.log_size = offset;
      } else if (end == scan_end::corrupt) {
        const std::string aside = corrupt_name(s.log_path);
        spdlog::warn("sqs state: {} is damaged at offset {}: the changes before it are restored, the file is kept as {}",
                     s.log_path.string(), offset, aside);
        ::rename(s.log_path.c_str(), aside.c_str());
        s.needs_snapshot = true;
      } else {
        fresh_log = false;
        s.log_size = data.size();
      }
    }
    // else: shorter than a header, so nothing was ever appended to it: started afresh.
  }
  if (fresh_log) {
    if (!write_atomically(s.log_path, header(log_magic, s.generation), error)) {
      error = "cannot use the SQS state directory " + dir.string() + ": " + error;
      return nullptr;
    }
    s.log_size = header_bytes;
  }
  s.log_fd = ::open(s.log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (s.log_fd < 0) {
    error = "cannot use the SQS state directory " + dir.string() + ": " + s.log_path.string() + ": " + errno_text(errno);
    return nullptr;
  }
  if (p == fsync_policy::interval) s.syncer = std::thread([&s] { s.sync_loop(); });
  return j;
}

void journal::replay(const std::function<void(std::string_view record)>& apply) {
  std::vector<std::string> records = std::move(m_state->pending);
  m_state->pending.clear();
  for (const std::string& r : records) apply(r);
}

bool journal::needs_snapshot() const { return m_state->needs_snapshot; }

bool journal::append(std::string_view record) {
  state& s = *m_state;
  if (s.failed) return false;
  if (record.size() > max_record_bytes) {
    spdlog::error("sqs state: a change of {} bytes is larger than a journal record may be: not saved", record.size());
    return false;
  }
  std::string framed;
  framed.reserve(record.size() + frame_bytes);
  frame(framed, record);
  std::lock_guard<std::mutex> lock(s.mu);
  if (!write_all(s.log_fd, framed)) {
    s.fail("cannot write " + s.log_path.string() + ": " + errno_text(errno));
    return false;
  }
  s.log_size += framed.size();
  if (s.policy == fsync_policy::always) {
    if (::fdatasync(s.log_fd) != 0) {
      s.fail("cannot sync " + s.log_path.string() + ": " + errno_text(errno));
      return false;
    }
  } else {
    s.dirty = true;
  }
  return true;
}

bool journal::wants_compaction(std::uint64_t live_bytes) const {
  return m_state->log_size > compaction_floor && m_state->log_size > 4 * live_bytes;
}

bool journal::compact(const std::vector<std::string>& records) {
  state& s = *m_state;
  if (s.failed) return false;
  const std::uint64_t next = s.generation + 1;
  std::string data = header(snapshot_magic, next);
  for (const std::string& r : records) {
    if (r.size() > max_record_bytes) continue; // append() refused it too
    frame(data, r);
  }
  std::string error;
  if (!write_atomically(s.snapshot_path, data, error)) {
    spdlog::error("sqs state: cannot write the snapshot {}: {}", s.snapshot_path.string(), error);
    return false;
  }
  data.clear();
  data.shrink_to_fit();
  if (!write_atomically(s.log_path, header(log_magic, next), error)) {
    // The snapshot holds everything; the old log (an older generation now) is ignored at the next open.
    s.fail("cannot start a new journal " + s.log_path.string() + ": " + error);
    return false;
  }
  const int fd = ::open(s.log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    s.fail("cannot open " + s.log_path.string() + ": " + errno_text(errno));
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    ::close(s.log_fd);
    s.log_fd = fd;
    s.dirty = false;
  }
  s.generation = next;
  s.log_size = header_bytes;
  s.needs_snapshot = false;
  spdlog::debug("sqs state: compacted into {} ({} records)", s.snapshot_path.string(), records.size());
  return true;
}

void journal::sync() {
  std::lock_guard<std::mutex> lock(m_state->mu);
  if (m_state->log_fd >= 0) ::fdatasync(m_state->log_fd);
  m_state->dirty = false;
}

std::uint64_t journal::log_bytes() const { return m_state->log_size; }

const fs::path& journal::dir() const { return m_state->dir; }

} // namespace lemu::sqs
