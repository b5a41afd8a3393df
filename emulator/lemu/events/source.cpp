#include <lemu/events/source.hpp>

#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lemu::events {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t read_chunk = std::size_t{256} << 10;

[[noreturn]] void throw_cannot_read(const std::string& name, int err) {
  throw input_error(name + ": cannot read: " + std::strerror(err));
}

[[noreturn]] void throw_open_error(const std::string& name, int err) {
  if (err == ENOENT) throw input_error(name + ": no such file or directory");
  throw_cannot_read(name, err);
}

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
  ~fd_holder() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

fd_holder open_read(const std::string& path, const std::string& display_name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_open_error(display_name, errno);
  return fd_holder(fd);
}

// read(2) that retries EINTR; throws input_error on an error.
std::size_t read_some(int fd, char* buf, std::size_t n, const std::string& display_name) {
  for (;;) {
    const ssize_t got = ::read(fd, buf, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw_cannot_read(display_name, errno);
  }
}

// Lines of a descriptor, each kept up to `cap` bytes (the rest of a longer line is read and dropped, only
// counted): memory is bounded by cap whatever the input.
class line_source {
public:
  struct line {
    std::string_view text;    // without '\n' (and one '\r' before it); at most cap bytes
    std::uint64_t bytes = 0;  // the whole line, without its line end
    bool ended = false;       // a '\n' ended it (false: the end of the input did)
  };

  void reset(int fd, const std::string* display_name, std::uint64_t cap) {
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

  bool next(line& out) {
    m_line.clear();
    m_over = false;
    std::uint64_t bytes = 0;
    bool any = false;
    for (;;) {
      if (m_pos == m_end) {
        if (m_eof) break;
        if (m_buffer.empty()) m_buffer.resize(read_chunk);
        m_end = read_some(m_fd, m_buffer.data(), m_buffer.size(), *m_display_name);
        m_pos = 0;
        if (m_end == 0) {
          m_eof = true;
          break;
        }
      }
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

  std::size_t number() const { return m_number; }
  bool at_end() {
    if (m_pos < m_end) return false;
    if (m_eof) return true;
    if (m_buffer.empty()) m_buffer.resize(read_chunk);
    m_end = read_some(m_fd, m_buffer.data(), m_buffer.size(), *m_display_name);
    m_pos = 0;
    if (m_end == 0) m_eof = true;
    return m_eof;
  }

private:
  // Keeps the line while it fits the cap; a longer line is kept as nothing (only its size matters).
  void keep(const char* p, std::size_t n) {
    if (m_over) return;
    if (m_line.size() + n > m_cap) {
      m_over = true;
      m_line.clear();
      return;
    }
    m_line.append(p, n);
  }

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

bool is_blank(std::string_view s) { return util::trim(s).empty(); }

bool is_lines_name(std::string_view name) { return util::ends_with(name, ".jsonl") || util::ends_with(name, ".ndjson"); }

bool is_event_file_name(std::string_view name) { return util::ends_with(name, ".json") || is_lines_name(name); }

[[noreturn]] void throw_invalid(const std::string& name, std::size_t line, std::size_t column, const std::string& why) {
  throw input_error(name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": invalid JSON: " + why);
}

// A whole document (at most cap + 1 bytes are read): its bytes, or how big it is when over the cap.
struct document {
  std::string text;
  std::uint64_t oversize = 0;
};

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

// A whole-file event: 1, or 0 for an empty (or whitespace-only) file.
std::size_t validate_document(const input_file& f, const input_options& o) {
  const document d = read_document(f, o.max_event_bytes);
  if (d.oversize > 0) return 1;
  if (is_blank(d.text)) return 0;
  if (const auto problem = util::check_json(d.text, o.max_depth)) {
    const auto pos = util::position_of(d.text, problem->offset);
    throw_invalid(f.display_name, pos.line, pos.column, problem->message);
  }
  return 1;
}

// JSON Lines: the number of non-blank lines, all valid (over-size lines count, unvalidated). Streams.
std::size_t validate_lines(input_file& f, const input_options& o, std::vector<std::string>& warnings) {
  fd_holder fd = open_read(f.path, f.display_name);
  line_source lines;
  lines.reset(fd.fd, &f.display_name, o.max_event_bytes + 1);
  std::size_t count = 0;
  line_source::line l;
  while (lines.next(l)) {
    if (l.bytes > o.max_event_bytes) {
      ++count;
      continue;
    }
    if (is_blank(l.text)) continue;
    if (const auto problem = util::check_json(l.text, o.max_depth)) {
      if (o.tolerate_cut_last_line && !l.ended && lines.at_end()) {
        f.skip_line = lines.number();
        warnings.push_back(f.display_name + ":" + std::to_string(lines.number()) +
                           ": the last line is cut short (no line end, not valid JSON: the writer was probably killed): skipped");
        break;
      }
      throw_invalid(f.display_name, lines.number(), problem->offset + 1, problem->message);
    }
    ++count;
  }
  return count;
}

std::size_t validate(input_file& f, const input_options& o, std::vector<std::string>& warnings) {
  return f.format == file_format::lines ? validate_lines(f, o, warnings) : validate_document(f, o);
}

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

bool is_one_document(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  stream_checker c;
  return nlohmann::json::sax_parse(in, &c) && !c.error_at;
}

// Copies everything readable from `fd` into an unlinked temporary file (close-on-exec), stopping with an
// input_error at the first byte that certainly is not JSON (a NUL anywhere; the first non-blank byte not
// able to begin a value) and at max_spool_bytes. Lines longer than the event limit are stored cut at
// limit + 1 bytes (enough to know they are too big) and their sizes kept in `oversize`.
struct spool_result {
  fd_holder file{-1};
  std::uint64_t bytes = 0;                          // as stored
  std::map<std::size_t, std::uint64_t> oversize;    // line -> its whole size, for lines cut short
  std::size_t lines = 0;                            // lines stored (a last line without '\n' included)
};

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

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

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

// The spooled copies (and the sizes of the lines cut in them), kept open for the plan's readers.
struct spooled {
  std::vector<fd_holder> files;
};

} // namespace

// Stdin (or a pipe): a single line too long for an event is one over-size event; else one JSON document if
// the whole content is one; else JSON Lines. A malformed input is reported as JSON Lines when its first
// non-blank line is a complete JSON value by itself, else as a document (so a pretty-printed document with a
// typo gets the position of the typo, not "line 1: unexpected end").
static void detect_spooled(input_file& f, const spool_result& s, const input_options& o, std::vector<std::string>& warnings) {
  if (o.lines_only) {
    f.format = file_format::lines;
    f.events = validate_lines(f, o, warnings);
    return;
  }
  if (s.lines == 1 && !s.oversize.empty()) {
    f.format = file_format::lines; // one line, too big: an over-size event
    f.events = 1;
    return;
  }
  if (s.bytes <= o.max_event_bytes) {
    const document d = read_document(f, o.max_event_bytes);
    if (is_blank(d.text)) {
      f.events = 0;
      return;
    }
    if (!util::check_json(d.text, o.max_depth)) {
      f.format = file_format::document;
      f.events = 1;
      return;
    }
  } else if (s.oversize.empty() && is_one_document(f.path)) {
    f.format = file_format::document; // valid, but over the limit: an over-size event
    f.events = 1;
    return;
  }
  f.format = file_format::lines;
  fd_holder fd = open_read(f.path, f.display_name);
  line_source lines;
  lines.reset(fd.fd, &f.display_name, o.max_event_bytes + 1);
  line_source::line l;
  while (lines.next(l)) {
    if (l.bytes > o.max_event_bytes || is_blank(l.text)) continue;
    if (!util::check_json(l.text, o.max_depth)) {
      f.events = validate_lines(f, o, warnings);
      return;
    }
    break;
  }
  if (s.bytes <= o.max_event_bytes) {
    const document d = read_document(f, o.max_event_bytes);
    const auto problem = util::check_json(d.text, o.max_depth);
    const auto pos = util::position_of(d.text, problem ? problem->offset : 0);
    throw_invalid(f.display_name, pos.line, pos.column, problem ? problem->message : "invalid JSON");
  }
  f.events = validate_lines(f, o, warnings); // reports the first bad line
}

event_plan event_plan::prepare(const std::vector<std::string>& specs, const input_options& options) {
  if (specs.empty()) throw input_error("no events given");
  event_plan plan;
  plan.m_options = options;
  auto spools = std::make_shared<spooled>();
  std::optional<input_file> stdin_file;

  const auto format_of = [&](std::string_view name) {
    return options.lines_only || is_lines_name(name) ? file_format::lines : file_format::document;
  };
  const auto add_spooled = [&](int fd, const std::string& display_name, std::optional<file_format> format) {
    spool_result s = spool(fd, display_name, options);
    input_file f;
    f.display_name = display_name;
    f.path = fd_path(s.file.fd);
    if (!s.oversize.empty()) f.cut_lines = std::make_shared<const std::map<std::size_t, std::uint64_t>>(s.oversize);
    if (format) {
      f.format = *format;
      f.events = validate(f, options, plan.m_warnings);
    } else {
      detect_spooled(f, s, options, plan.m_warnings);
    }
    spools->files.push_back(std::move(s.file));
    return f;
  };

  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::string& spec = specs[i];
    const std::string shown = i < options.display_names.size() && !options.display_names[i].empty() ? options.display_names[i] : spec;
    if (spec == "-") {
      if (!stdin_file) stdin_file = add_spooled(STDIN_FILENO, "-", std::nullopt);
      plan.m_files.push_back(*stdin_file); // "-" twice replays the same copy
      continue;
    }

    struct stat st {};
    if (::stat(spec.c_str(), &st) != 0) throw_open_error(shown, errno);

    if (S_ISDIR(st.st_mode)) {
      const std::vector<std::string> names = list_directory(spec);
      if (names.empty()) throw input_error(shown + ": no .json, .jsonl or .ndjson files in this directory");
      const std::string prefix = util::ends_with(spec, "/") ? spec : spec + "/";
      const std::string shown_prefix = util::ends_with(shown, "/") ? shown : shown + "/";
      for (const std::string& name : names) {
        input_file f;
        f.display_name = shown_prefix + name;
        f.path = prefix + name;
        f.format = format_of(name);
        f.events = validate(f, options, plan.m_warnings);
        plan.m_files.push_back(std::move(f));
      }
      continue;
    }

    if (!S_ISREG(st.st_mode)) {
      // A pipe or a device: it can be read only once, so read it once into a spool, then as a file.
      fd_holder fd = open_read(spec, shown);
      plan.m_files.push_back(add_spooled(fd.fd, shown, format_of(spec)));
      continue;
    }
    input_file f;
    f.display_name = shown;
    f.path = spec;
    f.format = format_of(spec);
    f.events = validate(f, options, plan.m_warnings);
    plan.m_files.push_back(std::move(f));
  }

  if (plan.total_events() == 0) throw input_error("no events in " + join(specs, ", "));
  plan.m_spools = spools;
  return plan;
}

std::size_t event_plan::total_events() const {
  std::size_t total = 0;
  for (const auto& f : m_files) total += f.events;
  return total;
}

struct event_reader::state {
  std::vector<input_file> files; // a copy: cheap, and independent of the plan's vector
  input_options options;
  std::size_t index = 0;         // the file being read
  fd_holder current{-1};         // open while a JSON Lines file is being read
  line_source lines;
  // Whole-file events already read, kept (up to max_cached_bytes in all) so that --repeat does not
  // open and read the same files again on every pass.
  std::vector<std::optional<std::string>> documents;
  std::size_t cached_bytes = 0;
  static constexpr std::size_t max_cached_bytes = std::size_t{64} << 20;
};

event_reader::event_reader(const event_plan& plan) : m_state(std::make_unique<state>()) {
  m_state->files = plan.files();
  m_state->options = plan.options();
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
      event ev{{}, f.display_name, 0, 0};
      if (cached) {
        ev.payload = *cached;
      } else {
        document d = read_document(f, s.options.max_event_bytes);
        ev.oversize = d.oversize;
        ev.payload = std::move(d.text);
        if (d.oversize == 0 && s.cached_bytes + ev.payload.size() <= state::max_cached_bytes) {
          s.cached_bytes += ev.payload.size();
          cached = ev.payload;
        }
      }
      ++s.index;
      if (ev.oversize == 0 && is_blank(ev.payload)) continue; // as validation counted it
      return ev;
    }
    if (s.current.fd < 0) {
      s.current = open_read(f.path, f.display_name);
      s.lines.reset(s.current.fd, &f.display_name, s.options.max_event_bytes + 1);
    }
    line_source::line l;
    while (s.lines.next(l)) {
      if (s.lines.number() == f.skip_line) continue;
      if (l.bytes > s.options.max_event_bytes) {
        std::uint64_t bytes = l.bytes;
        if (f.cut_lines) {
          if (const auto it = f.cut_lines->find(s.lines.number()); it != f.cut_lines->end()) bytes = it->second;
        }
        return event{{}, f.display_name, s.lines.number(), bytes};
      }
      if (!is_blank(l.text)) return event{std::string(l.text), f.display_name, s.lines.number(), 0};
    }
    s.current.reset();
    ++s.index;
  }
  return std::nullopt;
}

void event_reader::rewind() {
  m_state->current.reset();
  m_state->index = 0;
}

} // namespace lemu::events
