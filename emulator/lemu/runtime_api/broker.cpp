#include <lemu/runtime_api/broker.hpp>

#include <algorithm>

#include <lemu/core/errors.hpp>

#include <nlohmann/json.hpp>

namespace lemu::runtime_api {

namespace replies {

namespace {
// Go's json.Encoder output, as RIE renders errors: {"errorMessage":...,"errorType":...}\n
reply error_reply(unsigned status, std::string_view message, std::string_view type) {
  nlohmann::ordered_json body;
  body["errorMessage"] = message;
  body["errorType"] = type;
  return reply{status, body.dump() + "\n"};
}
} // namespace

reply accepted() { return reply{202, "{\"status\":\"OK\"}\n"}; }
reply invalid_request_id() { return error_reply(400, "Invalid request ID", "InvalidRequestID"); }
reply invalid_state(std::string_view from, std::string_view to) {
  // RIE's text (rapi: ErrInvalidStateTransition); key order as in PROTOCOL.md §1.2.
  nlohmann::ordered_json body;
  body["errorType"] = "InvalidStateTransition";
  body["errorMessage"] = "State transition from " + std::string(from) + " to " + std::string(to) +
                         " failed for runtime. Error: State transition is not allowed";
  return reply{403, body.dump() + "\n"};
}
reply too_large() {
  return error_reply(413, "Exceeded maximum allowed payload size (6291556 bytes).", "RequestEntityTooLarge");
}
reply stream_too_large(std::uint64_t limit) {
  return error_reply(413, "Exceeded maximum allowed payload size (" + std::to_string(limit) + " bytes).",
                     "RequestEntityTooLarge");
}
reply not_found() { return error_reply(404, "Not Found", "NotFound"); }
reply method_not_allowed() { return error_reply(405, "Method Not Allowed", "MethodNotAllowed"); }
reply bad_request(std::string_view message) { return error_reply(400, message, "InvalidRequest"); }

} // namespace replies

namespace {

const char* state_name(broker::state s) {
  switch (s) {
  case broker::state::initializing: return "Initializing";
  case broker::state::ready: return "Ready";
  case broker::state::invoking: return "Running";
  case broker::state::closed: return "Closed";
  }
  return "Unknown";
}

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

void broker::submit(core::invocation inv) {
  m_pending.push_back(std::make_shared<core::invocation>(std::move(inv)));
  dispatch();
}

void broker::dispatch() {
  if (m_state != state::ready && m_state != state::invoking) return;
  while (!m_provisional.empty() && m_current.size() + m_waiters.size() < m_max_concurrency) {
    m_waiters.splice(m_waiters.end(), m_provisional, m_provisional.begin());
  }
  while (!m_waiters.empty() && !m_pending.empty() && (m_state == state::ready || m_state == state::invoking)) {
    auto waiter = std::move(m_waiters.front().second);
    m_waiters.pop_front();
    waiter(deliver());
  }
}

delivery broker::deliver() {
  std::shared_ptr<core::invocation> inv = std::move(m_pending.front());
  m_pending.pop_front();
  m_state = state::invoking;
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(inv->timeout).count();
  delivery d{inv, epoch_ms_now() + timeout_ms};
  m_current.emplace(inv->request_id, flight{inv});
  if (m_callbacks.delivered) m_callbacks.delivered(inv->request_id, clock::now());
  return d;
}

std::optional<delivery> broker::next(next_waiter waiter, std::optional<reply>& refused, std::uint64_t* ticket,
                                     bool* provisional) {
  refused.reset();
  if (provisional) *provisional = false;
  if (m_state != state::closed && provisional && m_waiters.size() < m_max_concurrency &&
      m_current.size() + m_waiters.size() >= m_max_concurrency) {
    // Every place is an invocation in flight: its answer may be on its way on another connection.
    const std::uint64_t t = m_next_ticket++;
    m_provisional.emplace_back(t, std::move(waiter));
    if (ticket) *ticket = t;
    *provisional = true;
    return std::nullopt;
  }
  if (m_state == state::closed || m_current.size() + m_waiters.size() >= m_max_concurrency) {
    refused = replies::invalid_state(state_name(m_state), "Ready");
    return std::nullopt;
  }
  if (m_state == state::initializing) {
    m_state = state::ready;
    if (m_callbacks.init_done) m_callbacks.init_done(clock::now());
    if (m_state != state::ready) { // the listener closed us
      refused = replies::invalid_state(state_name(m_state), "Ready");
      return std::nullopt;
    }
  }
  if (!m_pending.empty()) return deliver();
  const std::uint64_t t = m_next_ticket++;
  m_waiters.emplace_back(t, std::move(waiter));
  if (ticket) *ticket = t;
  return std::nullopt;
}

void broker::cancel_next(std::uint64_t ticket) {
  m_waiters.remove_if([ticket](const auto& w) { return w.first == ticket; });
  m_provisional.remove_if([ticket](const auto& w) { return w.first == ticket; });
}

std::optional<reply> broker::refuse_if_provisional(std::uint64_t ticket) {
  const auto it = std::find_if(m_provisional.begin(), m_provisional.end(), [ticket](const auto& w) { return w.first == ticket; });
  if (it == m_provisional.end()) return std::nullopt;
  m_provisional.erase(it);
  return replies::invalid_state(state_name(m_state), "Ready");
}

broker::flight* broker::find(std::string_view request_id) {
  const auto it = m_current.find(request_id);
  return it == m_current.end() ? nullptr : &it->second;
}

void broker::delivery_failed(std::string_view request_id) {
  const auto it = m_current.find(request_id);
  if (m_state != state::invoking || it == m_current.end()) return;
  m_pending.push_front(std::move(it->second.inv));
  m_current.erase(it);
  if (m_current.empty()) m_state = state::ready;
  dispatch();
}

void broker::forget(std::string_view request_id) {
  if (const auto it = m_current.find(request_id); it != m_current.end()) {
    m_current.erase(it);
    m_forgotten.emplace(request_id);
    if (m_current.empty() && m_state == state::invoking) m_state = state::ready;
  }
  std::erase_if(m_pending, [request_id](const auto& inv) { return inv->request_id == request_id; });
  dispatch();
}

bool broker::late(std::string_view request_id) {
  const auto it = m_forgotten.find(request_id);
  if (it == m_forgotten.end()) return false;
  const std::string id = *it;
  m_forgotten.erase(it);
  if (m_callbacks.late_answer) m_callbacks.late_answer(id);
  return true;
}

std::optional<reply> broker::check_request_id(std::string_view request_id) const {
  if (m_state == state::invoking && m_current.find(request_id) != m_current.end()) return std::nullopt;
  if (m_state == state::initializing) return replies::invalid_state(state_name(m_state), "ResponseSent");
  return replies::invalid_request_id();
}

void broker::complete(std::string_view request_id, core::outcome o) {
  const auto it = m_current.find(request_id);
  if (it == m_current.end()) return; // (a streamed outcome's `streamed` fields are the environment's to set)
  const std::string id = it->first;
  m_current.erase(it);
  if (m_current.empty()) m_state = state::ready;
  if (m_callbacks.completed) m_callbacks.completed(id, std::move(o), clock::now());
  dispatch(); // a held GET /next now has its place (what is pending goes to it)
}

reply broker::response(std::string_view request_id, std::string body, std::string content_type,
                       std::uint64_t body_bytes) {
  if (late(request_id)) return replies::accepted();
  if (auto refused = check_request_id(request_id)) return *refused;
  if (body_bytes > core::max_response_bytes) {
    complete(request_id, core::response_too_large_outcome());
    return replies::too_large();
  }
  complete(request_id, core::outcome{core::outcome_kind::success, std::move(body), std::move(content_type), {}});
  return replies::accepted();
}

reply broker::error(std::string_view request_id, std::string body, std::string_view error_type_header,
                    std::uint64_t body_bytes) {
  if (late(request_id)) return replies::accepted();
  if (auto refused = check_request_id(request_id)) return *refused;
  if (body_bytes > core::max_response_bytes) {
    complete(request_id, core::response_too_large_outcome());
    return replies::too_large();
  }
  complete(request_id, core::function_error_outcome(core::outcome_kind::function_error, std::move(body), error_type_header));
  return replies::accepted();
}

reply broker::init_error(std::string body, std::string_view error_type_header, std::uint64_t body_bytes) {
  if (m_state != state::initializing) return replies::invalid_state(state_name(m_state), "InitError");
  if (body_bytes > core::max_response_bytes) {
    if (m_callbacks.init_error) m_callbacks.init_error(core::response_too_large_outcome());
    return replies::too_large();
  }
  if (m_callbacks.init_error) {
    m_callbacks.init_error(core::function_error_outcome(core::outcome_kind::init_error, std::move(body),
                                                       error_type_header));
  }
  return replies::accepted();
}

std::optional<reply> broker::stream_begin(std::string_view request_id, std::string_view content_type) {
  if (late(request_id)) return replies::accepted(); // read whole and dropped
  if (auto refused = check_request_id(request_id)) return refused;
  flight& f = *find(request_id);
  if (f.streaming) return replies::invalid_state("Running", "ResponseSent"); // a second stream at once
  f.streaming = true;
  f.streamed_bytes = 0;
  if (m_callbacks.stream_began) {
    m_callbacks.stream_began(request_id, content_type.empty() ? "application/octet-stream" : content_type, clock::now());
  }
  return std::nullopt;
}

std::optional<reply> broker::stream_data(std::string_view request_id, std::string_view bytes, std::function<void()> more) {
  flight* f = find(request_id);
  if (!f || !f->streaming) { // the invocation ended meanwhile (timed out, ...)
    more();
    return replies::invalid_request_id();
  }
  const bool over = f->streamed_bytes + bytes.size() > m_max_stream_bytes;
  if (over) bytes = bytes.substr(0, static_cast<std::size_t>(m_max_stream_bytes - f->streamed_bytes));
  f->streamed_bytes += bytes.size();
  bool taken = true;
  if (!bytes.empty() && m_callbacks.stream_data) {
    taken = m_callbacks.stream_data(request_id, bytes, std::move(more));
  } else {
    more();
  }
  if (!over && taken) return std::nullopt;
  if (!find(request_id)) return replies::invalid_request_id(); // ended by the environment meanwhile
  complete(request_id, over ? core::stream_too_large_outcome(m_max_stream_bytes) : core::response_too_large_outcome());
  return over ? replies::stream_too_large(m_max_stream_bytes) : replies::too_large();
}

reply broker::stream_end(std::string_view request_id, std::string_view error_type, std::string_view error_body) {
  const flight* f = find(request_id);
  if (!f || !f->streaming) return replies::invalid_request_id();
  if (error_type.empty() && error_body.empty()) {
    complete(request_id, core::outcome{core::outcome_kind::success, {}, {}, {}});
  } else {
    complete(request_id, core::stream_error_outcome(error_type, error_body));
  }
  return replies::accepted();
}

void broker::stream_cut(std::string_view request_id) {
  const flight* f = find(request_id);
  if (!f || !f->streaming) return;
  if (m_callbacks.stream_cut) m_callbacks.stream_cut(request_id);
}

void broker::close() {
  // Nothing is reported after close(): every entry point refuses a closed broker. The callbacks are kept,
  // since close() may be called from inside one of them.
  m_state = state::closed;
  m_waiters.splice(m_waiters.end(), m_provisional);
  while (!m_waiters.empty()) {
    auto waiter = std::move(m_waiters.front().second);
    m_waiters.pop_front();
    waiter(delivery{});
  }
}

} // namespace lemu::runtime_api
