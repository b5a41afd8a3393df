#include <lemu/events/source.hpp>

#include <lemu/events/reading.hpp>
#include <lemu/events/spool.hpp>
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
using namespace detail;

bool is_lines_name(std::string_view name) { return util::ends_with(name, ".jsonl") || util::ends_with(name, ".ndjson"); }

bool is_event_file_name(std::string_view name) { return util::ends_with(name, ".json") || is_lines_name(name); }

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
