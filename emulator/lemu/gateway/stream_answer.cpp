#include <lemu/gateway/stream_answer.hpp>

#include <lemu/gateway/eventstream.hpp>
#include <lemu/gateway/proxy_response.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace lemu::gateway {

// ---- InvokeWithResponseStream ----------------------------------------------------------------------------

void eventstream_answer::start() {
  if (m_writer) return;
  header_list headers = m_head;
  headers.emplace(headers.begin(), "Content-Type", "application/vnd.amazon.eventstream");
  m_writer = m_respond.stream(200, std::move(headers));
}

void eventstream_answer::begin(std::string_view) { start(); }

void eventstream_answer::data(std::string_view bytes, std::function<void()> more) {
  if (m_ended) return more();
  start();
  std::string frames;
  frames.reserve(bytes.size() + 128);
  eventstream::append_payload_chunk(frames, bytes);
  m_pending = true;
  m_writer->write(std::move(frames), [self = shared_from_this(), more = std::move(more)] {
    self->m_pending = false;
    if (!self->m_last.empty()) self->write_last();
    more();
  });
}

void eventstream_answer::write_last() {
  auto writer = m_writer;
  writer->write(std::exchange(m_last, std::string()), [writer] { writer->finish(); });
}

void eventstream_answer::end(const core::outcome& o, std::string_view log_result) {
  if (m_ended) return;
  m_ended = true;
  start();
  std::string frames;
  if (!o.streamed && o.ok()) eventstream::append_payload_chunk(frames, o.payload);
  eventstream::invoke_complete complete;
  if (!o.ok()) {
    complete.error_code = o.error_type;
    complete.error_details = o.payload;
  }
  complete.log_result = std::string(log_result);
  eventstream::append_invoke_complete(frames, complete);
  m_last = std::move(frames);
  // The last piece may still be on its way (a timeout or an exit does not wait for it): InvokeComplete
  // follows it.
  if (!m_pending) write_last();
}

void eventstream_answer::cancel(http_response refusal) {
  if (m_ended) return;
  m_ended = true;
  if (m_writer) return m_writer->abort();
  m_respond(std::move(refusal));
}

// ---- the front door --------------------------------------------------------------------------------------

void front_door_stream::begin(std::string_view content_type) {
  m_begun = true;
  m_content_type = std::string(content_type.empty() ? "application/octet-stream" : content_type);
  m_prelude = m_content_type == http_integration_response;
}

void front_door_stream::start(unsigned status, header_list headers) {
  m_status = status;
  for (auto& h : m_extra) headers.push_back(std::move(h));
  m_extra.clear();
  m_writer = m_respond.stream(status, std::move(headers));
}

void front_door_stream::fail(const std::string& why) {
  m_failed = true;
  m_answered = true;
  if (m_log) m_log(why);
  http_response r = function_failed_response();
  for (auto& h : m_extra) r.headers.push_back(std::move(h));
  m_extra.clear();
  m_status = r.status;
  m_respond(std::move(r));
}

void front_door_stream::data(std::string_view bytes, std::function<void()> more) {
  if (m_failed || m_answered) return more(); // a 502 went out, or the answer ended: dropped
  if (m_writer) return m_writer->write(std::string(bytes), std::move(more));
  if (!m_prelude) {
    start(200, {{"Content-Type", m_content_type}});
    return m_writer->write(std::string(bytes), std::move(more));
  }
  // The prelude, up to its 8 NUL bytes; the search starts where a delimiter split across pieces may begin.
  static constexpr std::string_view delimiter("\0\0\0\0\0\0\0\0", 8);
  const std::size_t from = m_head_bytes.size() >= 7 ? m_head_bytes.size() - 7 : 0;
  const std::size_t room = max_prelude_bytes + delimiter.size() - m_head_bytes.size();
  m_head_bytes.append(bytes.substr(0, room));
  const auto at = m_head_bytes.find(delimiter, from);
  if (at == std::string::npos) {
    if (m_head_bytes.size() >= max_prelude_bytes + delimiter.size()) {
      fail("Malformed Lambda proxy response: no 8 NUL bytes within the first " + std::to_string(max_prelude_bytes) +
           " bytes of the streamed response (its prelude)");
    }
    return more();
  }
  auto mapped = map_stream_prelude(m_kind, std::string_view(m_head_bytes).substr(0, at));
  if (!mapped.error.empty()) {
    fail(mapped.error);
    return more();
  }
  // What came after the delimiter: in this piece (past what was appended) and in the appended part.
  const std::size_t taken = std::min(bytes.size(), room);
  std::string rest = m_head_bytes.substr(at + delimiter.size());
  rest.append(bytes.substr(taken));
  m_head_bytes.clear();
  m_head_bytes.shrink_to_fit();
  start(mapped.response.status, std::move(mapped.response.headers));
  if (rest.empty()) return more();
  m_writer->write(std::move(rest), std::move(more));
}

unsigned front_door_stream::end(const core::outcome& o) {
  if (m_answered) return m_status;
  m_answered = true;
  if (!o.ok()) {
    if (!m_writer) {
      if (m_log) m_log("the function failed (" + o.error_type + ")");
      http_response r = function_failed_response();
      for (auto& h : m_extra) r.headers.push_back(std::move(h));
      m_extra.clear();
      m_respond(std::move(r));
      return m_status = 502;
    }
    if (m_log) m_log("the function failed (" + o.error_type + ") after the response began: the connection is closed");
    m_writer->abort();
    return m_status = 0;
  }
  if (!m_writer) {
    if (m_prelude) {
      m_answered = false; // fail() answers
      fail("Malformed Lambda proxy response: the streamed response ended before its prelude's 8 NUL bytes");
      return m_status;
    }
    start(200, {{"Content-Type", m_content_type}});
  }
  m_writer->finish(); // after a piece that may still be on its way
  return m_status;
}

void front_door_stream::cancel(http_response refusal) {
  if (m_answered) return;
  m_answered = true;
  if (m_writer) return m_writer->abort();
  m_respond(std::move(refusal));
}

} // namespace lemu::gateway
