#include <lemu/events/reading.hpp>

#include <lemu/util/text.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lemu::events::detail {

void throw_cannot_read(const std::string& name, int err) { throw input_error(name + ": cannot read: " + std::strerror(err)); }

void throw_open_error(const std::string& name, int err) {
  if (err == ENOENT) throw input_error(name + ": no such file or directory");
  throw_cannot_read(name, err);
}

void throw_invalid(const std::string& name, std::size_t line, std::size_t column, const std::string& why) {
  throw input_error(name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": invalid JSON: " + why);
}

void fd_holder::reset() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

fd_holder open_read(const std::string& path, const std::string& display_name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_open_error(display_name, errno);
  return fd_holder(fd);
}

std::size_t read_some(int fd, char* buf, std::size_t n, const std::string& display_name) {
  for (;;) {
    const ssize_t got = ::read(fd, buf, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw_cannot_read(display_name, errno);
  }
}

bool is_blank(std::string_view s) { return util::trim(s).empty(); }

void line_source::reset(int fd, const std::string* display_name, std::uint64_t cap) {
  m_fd = fd;
  m_display_name = display_name;
  m_cap = cap;
  m_pos = m_end = 0;
  m_eof = false;
  m_number = 0;
  // Room for the longest line kept, at once: growing by doubling would hold the old and the new copy
  // together (1.5 x the limit). Untouched pages cost no memory.
  if (m_line.capacity() < cap) m_line.reserve(static_cast<std::size_t>(cap));
}

bool line_source::refill() {
  if (m_eof) return false;
  if (m_buffer.empty()) m_buffer.resize(read_chunk);
  m_end = read_some(m_fd, m_buffer.data(), m_buffer.size(), *m_display_name);
  m_pos = 0;
  if (m_end == 0) m_eof = true;
  return !m_eof;
}

bool line_source::next(line& out) {
  m_line.clear();
  m_over = false;
  std::uint64_t bytes = 0;
  bool any = false;
  for (;;) {
    if (m_pos == m_end && !refill()) break;
    any = true;
    const char* start = m_buffer.data() + m_pos;
    const std::size_t avail = m_end - m_pos;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - start) : avail;
    keep(start, take);
    bytes += take;
    m_pos += take;
    if (nl) {
      ++m_pos;
      ++m_number;
      if (!m_over && !m_line.empty() && m_line.back() == '\r') {
        m_line.pop_back();
        --bytes;
      }
      out = line{m_line, bytes, true};
      return true;
    }
  }
  if (!any) return false;
  ++m_number;
  out = line{m_line, bytes, false};
  return true;
}

bool line_source::at_end() { return m_pos >= m_end && !refill(); }

void line_source::keep(const char* p, std::size_t n) {
  if (m_over) return;
  if (m_line.size() + n > m_cap) {
    m_over = true;
    m_line.clear();
    return;
  }
  m_line.append(p, n);
}

document read_document(const input_file& f, std::uint64_t cap) {
  fd_holder fd = open_read(f.path, f.display_name);
  struct stat st {};
  if (::fstat(fd.fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > cap) {
    return document{{}, static_cast<std::uint64_t>(st.st_size)}; // its size says enough: not read
  }
  document d;
  d.text.resize(static_cast<std::size_t>(std::min<std::uint64_t>(cap + 1, S_ISREG(st.st_mode) ? st.st_size + 1 : read_chunk)));
  std::size_t have = 0;
  for (;;) {
    if (have == d.text.size()) {
      if (d.text.size() > cap) break;
      d.text.resize(static_cast<std::size_t>(std::min<std::uint64_t>(cap + 1, d.text.size() * 2)));
    }
    const std::size_t n = read_some(fd.fd, d.text.data() + have, d.text.size() - have, f.display_name);
    if (n == 0) break;
    have += n;
  }
  d.text.resize(have);
  if (have > cap) {
    d.oversize = have;
    d.text.clear();
    d.text.shrink_to_fit();
  }
  return d;
}

} // namespace lemu::events::detail
