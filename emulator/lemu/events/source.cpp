#include <lemu/events/source.hpp>

#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lemu::events {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Buffer for JSON Lines files: big reads, so a million short lines cost a few hundred read(2) calls.
constexpr std::size_t line_buffer_size = std::size_t{256} << 10;
// Chunk size for whole-file reads and for copying stdin to the spool.
constexpr std::size_t chunk_size = std::size_t{1} << 20;

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

[[noreturn]] void throw_cannot_read(const std::string& name, int err) {
  throw input_error(name + ": cannot read: " + std::strerror(err));
}

[[noreturn]] void throw_open_error(const std::string& name, int err) {
  if (err == ENOENT) throw input_error(name + ": no such file or directory");
  throw_cannot_read(name, err);
}

// Opens for reading, close-on-exec (the app spawns runtimes; they must not inherit our descriptors).
file_ptr open_file(const std::string& path, const std::string& display_name) {
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) throw_open_error(display_name, errno);
  return file_ptr(f);
}

// A file opened for JSON Lines reading with a large stdio buffer of its own (glibc ignores setvbuf's size
// when it is not given the buffer). The FILE is always closed before its buffer is freed.
struct buffered_file {
  std::unique_ptr<char[]> buffer;
  file_ptr file;

  buffered_file() = default;
  buffered_file(buffered_file&&) noexcept = default;
  buffered_file& operator=(buffered_file&& other) noexcept {
    close();
    buffer = std::move(other.buffer);
    file = std::move(other.file);
    return *this;
  }
  buffered_file(const buffered_file&) = delete;
  buffered_file& operator=(const buffered_file&) = delete;
  ~buffered_file() { close(); }

  void close() {
    file.reset();
    buffer.reset();
  }
  explicit operator bool() const { return file != nullptr; }
  std::FILE* get() const { return file.get(); }
};

buffered_file open_buffered(const std::string& path, const std::string& display_name) {
  buffered_file f;
  f.file = open_file(path, display_name);
  f.buffer = std::make_unique_for_overwrite<char[]>(line_buffer_size);
  std::setvbuf(f.file.get(), f.buffer.get(), _IOFBF, line_buffer_size);
  return f;
}

std::string read_all(std::FILE* f, const std::string& display_name) {
  // Straight into the result when the size is known (no zero-filled scratch buffer); a pipe or a file
  // that grew is read on in small pieces.
  std::string out;
  struct stat st {};
  std::size_t n = 0;
  if (::fstat(::fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    out.resize(static_cast<std::size_t>(st.st_size));
    n = std::fread(out.data(), 1, out.size(), f);
    out.resize(n);
  }
  char chunk[16384];
  while (!std::ferror(f) && !std::feof(f)) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, f);
    out.append(chunk, got);
    if (got < sizeof chunk) break;
  }
  if (std::ferror(f)) throw_cannot_read(display_name, errno != 0 ? errno : EIO);
  return out;
}

// Reads a FILE line by line with getline(3): the line without its '\n' and without one trailing '\r'.
class line_reader {
public:
  line_reader() = default;
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;
  ~line_reader() { std::free(m_buffer); }

  void reset(std::FILE* f, const std::string* display_name) {
    m_file = f;
    m_display_name = display_name;
    m_line = 0;
  }

  // False at the end of the file; throws input_error on a read error.
  bool next(std::string_view& line) {
    errno = 0;
    const ssize_t n = ::getline(&m_buffer, &m_capacity, m_file);
    if (n < 0) {
      if (std::ferror(m_file)) throw_cannot_read(*m_display_name, errno != 0 ? errno : EIO);
      return false;
    }
    ++m_line;
    std::size_t len = static_cast<std::size_t>(n);
    if (len > 0 && m_buffer[len - 1] == '\n') --len;
    if (len > 0 && m_buffer[len - 1] == '\r') --len;
    line = std::string_view(m_buffer, len);
    return true;
  }

  std::size_t line_number() const { return m_line; }

private:
  std::FILE* m_file = nullptr;
  const std::string* m_display_name = nullptr;
  char* m_buffer = nullptr;
  std::size_t m_capacity = 0;
  std::size_t m_line = 0;
};

bool is_blank(std::string_view s) { return util::trim(s).empty(); }

bool is_lines_name(std::string_view name) {
  return util::ends_with(name, ".jsonl") || util::ends_with(name, ".ndjson");
}

bool is_event_file_name(std::string_view name) {
  return util::ends_with(name, ".json") || is_lines_name(name);
}

// --- JSON errors ------------------------------------------------------------------------------------------

struct json_error {
  std::size_t byte = 0; // nlohmann's position: 1-based, just past the offending character
  std::string message;  // without nlohmann's "[json.exception.parse_error.101] parse error at ...: " prefix
};

// A SAX handler that builds nothing and records the first parse error.
struct error_capture {
  std::optional<json_error> error;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string_view what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while parsing ..."
    if (const auto p = what.find("parse error"); p != std::string_view::npos) {
      if (const auto colon = what.find(": ", p); colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    error = json_error{position, std::string(what)};
    return false;
  }
};

json_error find_error(const char* first, const char* last) {
  error_capture capture;
  json::sax_parse(first, last, &capture);
  return capture.error.value_or(json_error{0, "invalid JSON"});
}

json_error find_error(std::istream& in) {
  error_capture capture;
  json::sax_parse(in, &capture);
  return capture.error.value_or(json_error{0, "invalid JSON"});
}

// 0-based offset of the offending byte.
std::size_t offending_offset(const json_error& e) { return e.byte > 0 ? e.byte - 1 : 0; }

[[noreturn]] void throw_invalid(const std::string& name, std::size_t line, std::size_t column, const json_error& e) {
  throw input_error(name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": invalid JSON: " + e.message);
}

bool accept(std::string_view s) { return json::accept(s.data(), s.data() + s.size()); }

// Line and column (1-based, bytes) of `offset` in a file, without loading it.
util::text_position position_in_file(const input_file& f, std::size_t offset) {
  auto fp = open_file(f.path, f.display_name);
  util::text_position pos;
  std::string chunk(chunk_size, '\0');
  std::size_t done = 0;
  while (done < offset) {
    const std::size_t want = std::min(chunk.size(), offset - done);
    const std::size_t n = std::fread(chunk.data(), 1, want, fp.get());
    util::advance(pos, std::string_view(chunk.data(), n));
    done += n;
    if (n < want) break;
  }
  return pos;
}

// --- validation -------------------------------------------------------------------------------------------

// A whole-file event: 1, or 0 for an empty (or whitespace-only) file.
std::size_t validate_document(const input_file& f) {
  auto fp = open_file(f.path, f.display_name);
  const std::string text = read_all(fp.get(), f.display_name);
  if (is_blank(text)) return 0;
  if (accept(text)) return 1;
  const json_error e = find_error(text.data(), text.data() + text.size());
  const auto pos = util::position_of(text, offending_offset(e));
  throw_invalid(f.display_name, pos.line, pos.column, e);
}

// JSON Lines: the number of non-blank lines, all valid. Streams; memory is the longest line.
std::size_t validate_lines(const input_file& f) {
  auto fp = open_buffered(f.path, f.display_name);
  line_reader lines;
  lines.reset(fp.get(), &f.display_name);
  std::size_t count = 0;
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    if (!accept(line)) {
      const json_error e = find_error(line.data(), line.data() + line.size());
      throw_invalid(f.display_name, lines.line_number(), offending_offset(e) + 1, e);
    }
    ++count;
  }
  return count;
}

std::size_t validate(const input_file& f) {
  return f.format == file_format::lines ? validate_lines(f) : validate_document(f);
}

// Stdin (or a pipe): one JSON document if the whole content is one, else JSON Lines. A malformed input is
// reported as JSON Lines when its first non-blank line is a complete JSON value by itself, else as a document
// (so a pretty-printed document with a typo gets the position of the typo, not "line 1: unexpected end").
void detect_and_validate_spooled(input_file& f) {
  {
    std::ifstream in(f.path, std::ios::binary);
    if (!in) throw_cannot_read(f.display_name, errno != 0 ? errno : EIO);
    if (json::accept(in)) {
      f.format = file_format::document;
      f.events = 1;
      return;
    }
  }
  f.format = file_format::lines;
  bool first_line_valid = false;
  bool any_line = false;
  {
    auto fp = open_buffered(f.path, f.display_name);
    line_reader lines;
    lines.reset(fp.get(), &f.display_name);
    std::string_view line;
    while (lines.next(line)) {
      if (is_blank(line)) continue;
      any_line = true;
      first_line_valid = accept(line);
      break;
    }
  }
  if (!any_line) {
    f.events = 0;
    return;
  }
  if (first_line_valid) {
    f.events = validate_lines(f);
    return;
  }
  std::ifstream in(f.path, std::ios::binary);
  if (!in) throw_cannot_read(f.display_name, errno != 0 ? errno : EIO);
  const json_error e = find_error(in);
  const auto pos = position_in_file(f, offending_offset(e));
  throw_invalid(f.display_name, pos.line, pos.column, e);
}

// Copies everything readable from `fd` into an unlinked temporary file (close-on-exec).
file_ptr spool(int fd, const std::string& display_name) {
  file_ptr out(std::tmpfile());
  if (!out) throw input_error(display_name + ": cannot create a temporary file: " + std::strerror(errno));
  const int out_fd = ::fileno(out.get());
  ::fcntl(out_fd, F_SETFD, FD_CLOEXEC);
  std::string chunk(chunk_size, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_cannot_read(display_name, errno);
    }
    if (n == 0) break;
    if (std::fwrite(chunk.data(), 1, static_cast<std::size_t>(n), out.get()) != static_cast<std::size_t>(n)) {
      throw input_error(display_name + ": cannot write the temporary copy: " + std::strerror(errno));
    }
  }
  if (std::fflush(out.get()) != 0) {
    throw input_error(display_name + ": cannot write the temporary copy: " + std::strerror(errno));
  }
  return out;
}

std::string spool_path(std::FILE* f) { return "/proc/self/fd/" + std::to_string(::fileno(f)); }

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw input_error(dir + ": cannot read: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw input_error(dir + ": cannot read: " + ec.message());
    std::string name = it->path().filename().string();
    // As the shell's *.json: hidden files (editor backups, lock files) are not events.
    if (name.empty() || name.front() == '.' || !is_event_file_name(name)) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue; // follows symlinks; skips subdirectories and broken links
    names.push_back(std::move(name));
  }
  if (ec) throw input_error(dir + ": cannot read: " + ec.message());
  std::sort(names.begin(), names.end()); // std::string compares bytes as unsigned char: byte order
  return names;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out += sep;
    out += parts[i];
  }
  return out;
}

} // namespace

// The spooled copies of stdin and of any pipe given by name (e.g. `--event <(cmd)`), which cannot be read
// twice, are all owned through m_stdin_spool (an aliasing pointer to the first, owning them all).
event_plan event_plan::prepare(const std::vector<std::string>& specs) {
  if (specs.empty()) throw input_error("no events given");
  event_plan plan;
  auto spools = std::make_shared<std::vector<file_ptr>>();
  std::optional<input_file> stdin_file;

  const auto add_spooled = [&](int fd, const std::string& display_name) -> input_file {
    spools->push_back(spool(fd, display_name));
    input_file f;
    f.display_name = display_name;
    f.path = spool_path(spools->back().get());
    return f;
  };

  for (const std::string& spec : specs) {
    if (spec == "-") {
      if (!stdin_file) {
        input_file f = add_spooled(STDIN_FILENO, "-");
        detect_and_validate_spooled(f);
        stdin_file = f;
      }
      plan.m_files.push_back(*stdin_file); // "-" twice replays the same copy
      continue;
    }

    struct stat st {};
    if (::stat(spec.c_str(), &st) != 0) throw_open_error(spec, errno);

    if (S_ISDIR(st.st_mode)) {
      const std::vector<std::string> names = list_directory(spec);
      if (names.empty()) throw input_error(spec + ": no .json, .jsonl or .ndjson files in this directory");
      const std::string prefix = util::ends_with(spec, "/") ? spec : spec + "/";
      for (const std::string& name : names) {
        input_file f;
        f.display_name = prefix + name;
        f.path = f.display_name;
        f.format = is_lines_name(name) ? file_format::lines : file_format::document;
        f.events = validate(f);
        plan.m_files.push_back(std::move(f));
      }
      continue;
    }

    input_file f;
    f.display_name = spec;
    f.path = spec;
    f.format = is_lines_name(spec) ? file_format::lines : file_format::document;
    if (!S_ISREG(st.st_mode)) {
      // A pipe or a device: it can be read only once, so read it once into a spool, then as a file.
      const int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw_open_error(spec, errno);
      try {
        f.path = add_spooled(fd, spec).path;
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
    }
    f.events = validate(f);
    plan.m_files.push_back(std::move(f));
  }

  if (plan.total_events() == 0) throw input_error("no events in " + join(specs, ", "));
  if (!spools->empty()) plan.m_stdin_spool = std::shared_ptr<std::FILE>(spools, spools->front().get());
  return plan;
}

std::size_t event_plan::total_events() const {
  std::size_t total = 0;
  for (const auto& f : m_files) total += f.events;
  return total;
}

struct event_reader::state {
  std::vector<input_file> files; // a copy: cheap, and independent of the plan's vector
  std::size_t index = 0;         // the file being read
  buffered_file current;         // open while a JSON Lines file is being read
  line_reader lines;
  // Whole-file events already read, kept (up to max_cached_bytes in all) so that --repeat does not
  // open and read the same files again on every pass.
  std::vector<std::optional<std::string>> documents;
  std::size_t cached_bytes = 0;
  static constexpr std::size_t max_cached_bytes = std::size_t{64} << 20;
};

event_reader::event_reader(const event_plan& plan) : m_state(std::make_unique<state>()) {
  m_state->files = plan.files();
  m_state->documents.resize(m_state->files.size());
}

event_reader::~event_reader() = default;

std::optional<event> event_reader::next() {
  state& s = *m_state;
  while (s.index < s.files.size()) {
    const input_file& f = s.files[s.index];
    if (f.events == 0) {
      ++s.index;
      continue;
    }
    if (f.format == file_format::document) {
      std::optional<std::string>& cached = s.documents[s.index];
      std::string payload;
      if (cached) {
        payload = *cached;
      } else {
        auto fp = open_file(f.path, f.display_name);
        payload = read_all(fp.get(), f.display_name);
        if (s.cached_bytes + payload.size() <= state::max_cached_bytes) {
          s.cached_bytes += payload.size();
          cached = payload;
        }
      }
      ++s.index;
      if (is_blank(payload)) continue; // as validation counted it
      return event{std::move(payload), f.display_name, 0};
    }
    if (!s.current) {
      s.current = open_buffered(f.path, f.display_name);
      s.lines.reset(s.current.get(), &f.display_name);
    }
    std::string_view line;
    while (s.lines.next(line)) {
      if (!is_blank(line)) return event{std::string(line), f.display_name, s.lines.line_number()};
    }
    s.current.close();
    ++s.index;
  }
  return std::nullopt;
}

void event_reader::rewind() {
  m_state->current.close();
  m_state->index = 0;
}

} // namespace lemu::events
