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
//   -                                                      stdin: one JSON document, or else JSON Lines; stdin is
//                                                          copied to an unlinked temporary file while it is
//                                                          validated, so it is read once and never held in memory
//
// Every event must be valid JSON; the first one that is not is reported as "PATH:LINE:COLUMN: message" (line
// and column 1-based, counted in bytes) before any function starts. Nothing here keeps more than one event in
// memory at a time, so a million-line file costs what its longest line costs. Blank lines, and empty or
// whitespace-only files, hold no events; a plan with no events at all is an input_error.

#include <cstddef>
#include <cstdio>
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
  std::string payload;  // the raw bytes (a whole .json file, or one .jsonl line without its line ending)
  std::string source;   // the file as named to the user ("-" for stdin)
  std::size_t line = 0; // 1-based line for JSON Lines input; 0 for a whole-file event
};

enum class file_format { document, lines };

struct input_file {
  std::string display_name;  // path as the user gave it (directory entries: dir/name), "-" for stdin
  std::string path;          // what to open (for stdin: /proc/self/fd/N of the spooled copy)
  file_format format = file_format::document;
  std::size_t events = 0;    // counted during validation
};

// Resolved and validated input. Throws input_error for a missing/unreadable path, an empty directory,
// or malformed JSON (with file:line:column).
class event_plan {
public:
  static event_plan prepare(const std::vector<std::string>& specs);

  const std::vector<input_file>& files() const { return m_files; }
  std::size_t total_events() const; // one pass of the list (before --repeat)

private:
  std::vector<input_file> m_files;
  std::shared_ptr<std::FILE> m_stdin_spool; // keeps the spooled stdin copy open
};

// Streams the events of a plan in order, one at a time; rewind() starts over (for --repeat).
// The plan must outlive the reader (it keeps the stdin copy open).
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
