#include <lemu/app/output.hpp>

#include <lemu/util/json_text.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace lemu::app {

output::output(std::FILE* out, std::FILE* err)
    : m_out(out), m_err(err), m_out_tty(::isatty(::fileno(out)) == 1), m_err_tty(::isatty(::fileno(err)) == 1) {
  static char out_buffer[1 << 16], err_buffer[1 << 16];
  std::setvbuf(m_out, out_buffer, _IOFBF, sizeof out_buffer);
  std::setvbuf(m_err, err_buffer, _IOFBF, sizeof err_buffer);
}

void output::write_outcome(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), m_out);
  std::fputc('\n', m_out);
}

void output::write_raw(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), m_out);
  std::fflush(m_out);
}

void output::log_line(std::string_view line) {
  clear_progress();
  std::fwrite(line.data(), 1, line.size(), m_err);
  std::fputc('\n', m_err);
}

void output::text(std::string_view s) {
  clear_progress();
  std::fwrite(s.data(), 1, s.size(), m_err);
}

void output::clear_progress() {
  if (!m_progress_shown) return;
  std::fputs("\r\033[K", m_err);
  m_progress_shown = false;
}

void output::progress(const std::string& line) {
  clear_progress();
  if (line.empty()) return;
  std::fputs(line.c_str(), m_err);
  std::fflush(m_err);
  m_progress_shown = true;
}

void output::invocation_finished() {
  if (m_out_tty) std::fflush(m_out);
  if (m_err_tty) std::fflush(m_err);
}

void output::flush() {
  if (std::fflush(m_out) == EOF && errno == EPIPE) m_out_closed = true;
  std::fflush(m_err);
}

bool output::stdout_closed() {
  if (m_out_closed) return true;
  // A pipe whose reader has gone reports POLLERR on its write end, whether or not anything is written.
  pollfd p{::fileno(m_out), 0, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0) m_out_closed = true;
  return m_out_closed;
}

std::string format_outcome(const core::outcome& o) {
  const std::string& p = o.payload;
  if (util::is_valid_json(p)) {
    if (std::memchr(p.data(), '\n', p.size()) == nullptr && std::memchr(p.data(), '\r', p.size()) == nullptr) {
      return p;
    }
    return util::minify_json(p); // keeps the function's key order
  }
  return nlohmann::json(p).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace lemu::app
