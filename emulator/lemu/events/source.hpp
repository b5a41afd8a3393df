#pragma once
// Event input: `--event` specs resolved to files, validated up front, then streamed one event at a time.
//
//   PATH.json (or any name not ending in .jsonl/.ndjson)  one event: the whole file
//   PATH.jsonl / PATH.ndjson                               one event per non-blank line
//   DIRECTORY                                              its *.json, *.jsonl, *.ndjson files (not recursive,
//                                                          no hidden files, as the shell's glob), in byte order
//                                                          of their names
//   a pipe (e.g. <(cmd))                                   spooled like stdin (so it can be read again), format
//                                                          by name as above
//   -                                                      stdin: one JSON document, or else JSON Lines, copied
//                                                          to an unlinked temporary file while it is read
//
// Every event must be valid JSON (util/json_text.hpp: no NUL, at most 1000 levels deep); the first one that
// is not is reported as "PATH:LINE:COLUMN: invalid JSON: why" (line and column 1-based, counted in bytes)
// before any function starts. Bounds: nothing here holds more than one event of at most `max_event_bytes`
// (+1) in memory. An event bigger than that is not read at all (a file's size says so) or read on and
// dropped (a line, or a pipe): it becomes an event with `oversize` set and no payload, which the run turns
// into Lambda's RequestTooLargeException without validating it, as Lambda checks size first. A spooled
// input stops at its first NUL byte (or another byte that cannot begin JSON), and at max_spool_bytes.
// Blank lines, and empty or whitespace-only files, hold no events; a plan with no events is an input_error.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::events {

// Bad input: the message is ready to print after "lemu: error: ".
struct input_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct event {
  std::string payload;         // the raw bytes (a whole .json file, or one .jsonl line without its line ending)
  std::string source;          // the file as named to the user ("-" for stdin)
  std::size_t line = 0;        // 1-based line for JSON Lines input; 0 for a whole-file event
  std::uint64_t oversize = 0;  // > 0: the event is this many bytes (or more), over the limit; payload is empty
};

enum class file_format { document, lines };

struct input_file {
  std::string display_name;  // path as the user gave it (directory entries: dir/name), "-" for stdin
  std::string path;          // what to open (for stdin: /proc/self/fd/N of the spooled copy)
  file_format format = file_format::document;
  std::size_t events = 0;    // counted during validation
  std::size_t skip_line = 0; // a last line cut short that is skipped (see input_options); 0: none
  // Spooled input: the whole sizes of the lines stored cut at the limit (line -> bytes).
  std::shared_ptr<const std::map<std::size_t, std::uint64_t>> cut_lines;
};

struct input_options {
  std::uint64_t max_event_bytes = 6291456;  // larger events are `oversize`
  std::size_t max_depth = 1000;             // util::max_json_depth; one more for captures (the event is inside)
  bool lines_only = false;                  // every file is JSON Lines whatever its name (capture files)
  // A last line that is not valid JSON and has no line end (a writer killed mid-line): skipped with a
  // warning instead of refused (captures). Other invalid lines are always refused.
  bool tolerate_cut_last_line = false;
  std::uint64_t max_spool_bytes = std::uint64_t{8} << 30; // stdin / a pipe, in all
  std::vector<std::string> display_names;   // how to name each spec to the user ("" or absent: as given)
};

// Resolved and validated input. Throws input_error for a missing/unreadable path, an empty directory,
// or malformed JSON (with file:line:column).
class event_plan {
public:
  static event_plan prepare(const std::vector<std::string>& specs, const input_options& options = {});

  const std::vector<input_file>& files() const { return m_files; }
  std::size_t total_events() const; // one pass of the list (before --repeat)
  const input_options& options() const { return m_options; }
  // What validation noticed without refusing the input (a cut last line), one line each.
  const std::vector<std::string>& warnings() const { return m_warnings; }

private:
  std::vector<input_file> m_files;
  input_options m_options;
  std::vector<std::string> m_warnings;
  std::shared_ptr<void> m_spools; // keeps the spooled copies (stdin, pipes) open
};

// Streams the events of a plan in order, one at a time; rewind() starts over (for --repeat).
// The plan must outlive the reader (it keeps the spooled copies open).
class event_reader {
public:
  explicit event_reader(const event_plan& plan);
  ~event_reader();
  event_reader(const event_reader&) = delete;
  event_reader& operator=(const event_reader&) = delete;

  // The next event, or nullopt at the end of the list. Throws input_error if a file became unreadable.
  std::optional<event> next();
  void rewind();

private:
  struct state;
  std::unique_ptr<state> m_state;
};

} // namespace lemu::events
