#pragma once
// How event inputs are read, for source.cpp and spool.cpp (events' own detail, not for other modules):
// descriptors closed on scope exit, read(2) that retries EINTR, lines kept up to a cap however long they
// are, whole documents read up to a cap, and the input errors with their exact wording.

#include <lemu/events/source.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::events::detail {

inline constexpr std::size_t read_chunk = std::size_t{256} << 10;

[[noreturn]] void throw_cannot_read(const std::string& name, int err);
[[noreturn]] void throw_open_error(const std::string& name, int err);
// "NAME:LINE:COLUMN: invalid JSON: WHY"
[[noreturn]] void throw_invalid(const std::string& name, std::size_t line, std::size_t column, const std::string& why);

// An open descriptor, closed on scope exit.
struct fd_holder {
  int fd = -1;
  explicit fd_holder(int f) : fd(f) {}
  fd_holder(fd_holder&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  fd_holder& operator=(fd_holder&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  fd_holder(const fd_holder&) = delete;
  fd_holder& operator=(const fd_holder&) = delete;
  ~fd_holder() { reset(); }
  void reset();
};

fd_holder open_read(const std::string& path, const std::string& display_name);

// read(2) that retries EINTR; throws input_error on an error.
std::size_t read_some(int fd, char* buf, std::size_t n, const std::string& display_name);

// Lines of a descriptor, each kept while it fits `cap` bytes; a longer line is read on and dropped, only
// counted: memory is bounded by the cap whatever the input.
class line_source {
public:
  struct line {
    std::string_view text;    // without '\n' (and one '\r' before it); empty for a line over the cap
    std::uint64_t bytes = 0;  // the whole line, without its line end
    bool ended = false;       // a '\n' ended it (false: the end of the input did)
  };

  void reset(int fd, const std::string* display_name, std::uint64_t cap);
  bool next(line& out);
  std::size_t number() const { return m_number; }
  // Nothing more to read (reads ahead when the buffer is empty).
  bool at_end();

private:
  void keep(const char* p, std::size_t n);
  bool refill();

  int m_fd = -1;
  const std::string* m_display_name = nullptr;
  std::uint64_t m_cap = 0;
  std::vector<char> m_buffer;
  std::size_t m_pos = 0, m_end = 0;
  bool m_eof = false;
  std::string m_line;
  bool m_over = false;
  std::size_t m_number = 0;
};

// A whole document (at most cap + 1 bytes are read): its bytes, or how big it is when over the cap.
struct document {
  std::string text;
  std::uint64_t oversize = 0;
};
document read_document(const input_file& f, std::uint64_t cap);

bool is_blank(std::string_view s);

} // namespace lemu::events::detail
