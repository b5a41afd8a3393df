#include <lemu/events/spool.hpp>

#include <lemu/util/json_text.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace lemu::events::detail {

namespace {

// A SAX check of a whole file, streamed (for a spooled document too big to hold): the first error, if any.
struct stream_checker {
  std::size_t depth = 0;
  std::optional<std::size_t> error_at;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(nlohmann::json::number_integer_t) { return true; }
  bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
  bool number_float(nlohmann::json::number_float_t, const nlohmann::json::string_t&) { return true; }
  bool string(nlohmann::json::string_t&) { return true; }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool key(nlohmann::json::string_t&) { return true; }
  bool start_object(std::size_t) { return ++depth <= util::max_json_depth; }
  bool start_array(std::size_t) { return ++depth <= util::max_json_depth; }
  bool end_object() { return --depth, true; }
  bool end_array() { return --depth, true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_at = position > 0 ? position - 1 : 0;
    return false;
  }
};

} // namespace

bool is_one_document(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  stream_checker c;
  return nlohmann::json::sax_parse(in, &c) && !c.error_at;
}

spool_result spool(int fd, const std::string& display_name, const input_options& o) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/lemu-spool-XXXXXX";
  const int out = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (out < 0) throw input_error(display_name + ": cannot create a temporary file: " + std::strerror(errno));
  ::unlink(pattern.c_str());
  spool_result r;
  r.file = fd_holder(out);

  std::vector<char> in(read_chunk);
  std::string pending; // what goes to the file next
  std::uint64_t line_bytes = 0;
  std::size_t line = 1, column = 1;
  bool seen_content = false;
  const std::uint64_t keep = o.max_event_bytes + 1;
  const auto flush = [&] {
    std::size_t done = 0;
    while (done < pending.size()) {
      const ssize_t n = ::write(out, pending.data() + done, pending.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw input_error(display_name + ": cannot write the temporary copy: " + std::strerror(n < 0 ? errno : ENOSPC));
      done += static_cast<std::size_t>(n);
    }
    r.bytes += pending.size();
    pending.clear();
  };
  for (;;) {
    const std::size_t n = read_some(fd, in.data(), in.size(), display_name);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = in[i];
      if (c == '\0') throw_invalid(display_name, line, column, "a NUL byte, which is never valid in JSON text");
      if (!seen_content && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        seen_content = true;
        if (std::strchr("{[\"-0123456789tfn", c) == nullptr) {
          throw_invalid(display_name, line, column, "'" + std::string(1, c) + "' cannot begin a JSON value");
        }
      }
      if (c == '\n') {
        if (line_bytes > keep) r.oversize[line] = line_bytes;
        pending.push_back(c);
        line_bytes = 0;
        ++line;
        column = 1;
      } else {
        if (line_bytes < keep) pending.push_back(c);
        ++line_bytes;
        ++column;
      }
    }
    if (r.bytes + pending.size() > o.max_spool_bytes) {
      throw input_error(display_name + ": more than " + std::to_string(o.max_spool_bytes) +
                        " bytes of input: write it to a file and pass the file instead");
    }
    if (pending.size() >= read_chunk) flush();
  }
  if (line_bytes > keep) r.oversize[line] = line_bytes;
  flush();
  r.lines = line_bytes > 0 ? line : line - 1;
  return r;
}

} // namespace lemu::events::detail
