#include <lemu/app/files.hpp>

#include <lemu/core/exit_codes.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace lemu::app {

namespace {

struct identity {
  dev_t dev;
  ino_t ino;
};

std::optional<identity> identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity{st.st_dev, st.st_ino};
}

std::string absolute_normal(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return (ec ? std::filesystem::path(path) : p).lexically_normal().string();
}

std::string describe(const named_path& p) { return p.option + " " + p.path; }

// Writes all of `data` (retrying short writes and EINTR); false with errno set when it cannot.
bool write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

void refuse_overlaps(const std::vector<named_path>& inputs, const std::vector<named_path>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const named_path& out = outputs[i];
    const auto id = identify(out.path);
    if (id) {
      struct stat st {};
      if (::stat(out.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        throw core::usage_error(describe(out) + " is a directory: give a file name");
      }
      for (const auto& in : inputs) {
        const auto other = identify(in.path);
        if (other && other->dev == id->dev && other->ino == id->ino) {
          throw core::usage_error(describe(out) + " is also an input (" + describe(in) + "): refusing to overwrite it");
        }
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      const named_path& earlier = outputs[j];
      const auto other = identify(earlier.path);
      const bool same = (id && other) ? (other->dev == id->dev && other->ino == id->ino)
                                      : absolute_normal(earlier.path) == absolute_normal(out.path);
      if (same) throw core::usage_error(describe(out) + " and " + describe(earlier) + " are the same file: give each its own");
    }
  }
}

line_file::line_file(const std::string& path, mode m) : m_path(path) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (m == mode::append ? O_APPEND : O_TRUNC);
  m_fd = ::open(path.c_str(), flags, 0644);
  if (m_fd < 0) throw core::usage_error(path + ": cannot open for writing: " + std::strerror(errno));
}

line_file::~line_file() {
  if (m_fd >= 0) ::close(m_fd);
}

bool line_file::write_line(std::string_view line) {
  if (m_fd < 0) return false;
  m_buffer.assign(line);
  m_buffer.push_back('\n');
  if (write_all(m_fd, m_buffer)) return true;
  m_error = m_path + ": cannot write: " + std::strerror(errno);
  ::close(m_fd);
  m_fd = -1;
  return false;
}

bool write_atomically(const std::string& path, std::string_view content, std::string& error) {
  const std::string target = resolved_target(path);
  const std::string tmp = target + ".lemu-tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  if (!write_all(fd, content)) {
    error = path + ": cannot write: " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    error = path + ": cannot replace: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string resolved_target(const std::string& path) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

bool replace_keeping(const std::string& replacement, const std::string& target, std::string& error) {
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    ::chmod(replacement.c_str(), st.st_mode & 07777);
    [[maybe_unused]] const int ignored = ::chown(replacement.c_str(), st.st_uid, st.st_gid); // only where allowed
  }
  if (::rename(replacement.c_str(), target.c_str()) != 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

} // namespace lemu::app
