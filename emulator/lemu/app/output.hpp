#pragma once
// lemu's two output streams. stdout carries one outcome per line (machine-readable); stderr carries the
// function's log lines, Lambda's platform lines (START/END/REPORT/INIT_REPORT) and the summary.
// Both are buffered for throughput and flushed at the end of every invocation when they are terminals,
// and by the commands on a short timer otherwise.

#include <lemu/core/invocation.hpp>
#include <lemu/core/log_config.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace lemu::app {

class output {
public:
  output(std::FILE* out, std::FILE* err);
  output(const output&) = delete;
  output& operator=(const output&) = delete;

  void write_outcome(std::string_view line); // stdout
  void write_raw(std::string_view bytes);     // stdout, as is, flushed at once (lemu run --stream)
  void log_line(std::string_view line);      // stderr
  void text(std::string_view s);             // stderr, as is
  void invocation_finished();                // flush where a person is watching
  void flush();

  bool err_is_terminal() const { return m_err_tty; }
  // True once stdout's reader has gone (EPIPE on a write, or a pipe with no reader left).
  bool stdout_closed();
  // Shows `line` as the last line of a terminal's stderr, redrawn in place; "" removes it. Anything else
  // written to stderr first removes it (the next progress() call draws it again).
  void progress(const std::string& line);

private:
  std::FILE* m_out;
  std::FILE* m_err;
  bool m_out_tty, m_err_tty;
  bool m_progress_shown = false;
  bool m_out_closed = false;

  void clear_progress();
};

// The line printed on stdout for an outcome: the payload itself when it is JSON on one line, compact JSON
// when it is JSON spread over lines, and the payload as a JSON string otherwise (JSON nested deeper than
// util::max_json_depth counts as "otherwise"). Bytes that are not UTF-8 become U+FFFD there.
std::string format_outcome(const core::outcome& o);

} // namespace lemu::app
