#pragma once
// What lemu writes for the user, written so that nothing of theirs is lost:
//
// - refuse_overlaps(): no output may be an input (an event file, a capture, the bootstrap, the env file)
//   or another output. Compared by device and inode, so another name, a symlink or a hard link to the
//   same file is caught; refused before anything is opened, so nothing is touched.
// - line_file: JSON Lines (--record, --json), one whole line per write(2) and nothing buffered in lemu: a
//   kill at any moment, even SIGKILL, leaves whole lines only.
// - write_atomically(): a whole report (JUnit, HTML) written beside the target, then renamed over it.
// - replace_keeping(): --update's rewrite of a capture replaces the file a symlink points to (the link
//   stays) with the original's permissions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::app {

struct named_path {
  std::string option; // "--event", "--record", "bootstrap", ...
  std::string path;
};

// Throws core::usage_error ("--record x.jsonl is also an input (--event x.jsonl): refusing to overwrite
// it") when an output names the same file as an input or as another output.
void refuse_overlaps(const std::vector<named_path>& inputs, const std::vector<named_path>& outputs);

class line_file {
public:
  enum class mode { truncate, append };
  // Opens (creating it 0644 less the umask); throws core::usage_error "PATH: cannot open for writing: why".
  line_file(const std::string& path, mode m);
  ~line_file();
  line_file(const line_file&) = delete;
  line_file& operator=(const line_file&) = delete;

  // Writes `line` and a newline with one write(2) (retried on a short write). False once a write failed
  // (the first failure is returned as the error message by error()).
  bool write_line(std::string_view line);
  const std::string& error() const { return m_error; }
  const std::string& path() const { return m_path; }

private:
  std::string m_path;
  int m_fd = -1;
  std::string m_buffer;
  std::string m_error;
};

// Writes `content` to PATH.lemu-tmp-<pid> beside `path`, then renames it over `path`. False (and the
// reason in `error`) when it cannot; `path` is then untouched.
bool write_atomically(const std::string& path, std::string_view content, std::string& error);

// The file `path` names, symlinks followed (where a rewrite of it must go).
std::string resolved_target(const std::string& path);

// Renames `replacement` over `target` after giving it `target`'s permission bits (and owner, where
// allowed). False with the reason in `error` when it cannot.
bool replace_keeping(const std::string& replacement, const std::string& target, std::string& error);

} // namespace lemu::app
