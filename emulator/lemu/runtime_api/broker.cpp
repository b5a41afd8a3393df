#include <lemu/runtime_api/broker.hpp>

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
  m_pending = std::make_shared<core::invocation>(std::move(inv));
  if (m_waiter && m_state == state::ready) {
    auto waiter = std::move(m_waiter);
    m_waiter = nullptr;
    waiter(deliver());
  }
}

delivery broker::deliver() {
  m_current = std::move(m_pending);
  m_pending.reset();
  m_state = state::invoking;
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(m_current->timeout).count();
  delivery d{m_current, epoch_ms_now() + timeout_ms};
  if (m_callbacks.delivered) m_callbacks.delivered(clock::now());
  return d;
}

std::optional<delivery> broker::next(next_waiter waiter, std::optional<reply>& refused) {
  refused.reset();
  if (m_state == state::closed || m_state == state::invoking || m_waiter) {
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
  if (m_pending) return deliver();
  m_waiter = std::move(waiter);
  return std::nullopt;
}

void broker::delivery_failed(std::string_view request_id) {
  if (m_state != state::invoking || !m_current || m_current->request_id != request_id) return;
  m_pending = std::move(m_current);
  m_current.reset();
  m_state = state::ready;
}

std::optional<reply> broker::check_request_id(std::string_view request_id) const {
  if (m_state == state::invoking && m_current && m_current->request_id == request_id) return std::nullopt;
  if (m_state == state::initializing) return replies::invalid_state(state_name(m_state), "ResponseSent");
  return replies::invalid_request_id();
}

void broker::complete(core::outcome o) {
  m_last_request_id = m_current->request_id;
  m_current.reset();
  m_state = state::ready;
  if (m_streaming) {
    o.streamed = true;
    o.streamed_bytes = m_streamed_bytes;
  }
  m_streaming = false;
  m_streamed_bytes = 0;
  if (m_callbacks.completed) m_callbacks.completed(std::move(o), clock::now());
}

reply broker::response(std::string_view request_id, std::string body, std::string content_type,
                       std::uint64_t body_bytes) {
  if (auto refused = check_request_id(request_id)) return *refused;
  if (body_bytes > core::max_response_bytes) {
    complete(core::response_too_large_outcome());
    return replies::too_large();
  }
  complete(core::outcome{core::outcome_kind::success, std::move(body), std::move(content_type), {}});
  return replies::accepted();
}

reply broker::error(std::string_view request_id, std::string body, std::string_view error_type_header,
                    std::uint64_t body_bytes) {
  if (auto refused = check_request_id(request_id)) return *refused;
  if (body_bytes > core::max_response_bytes) {
    complete(core::response_too_large_outcome());
    return replies::too_large();
  }
  complete(core::function_error_outcome(core::outcome_kind::function_error, std::move(body), error_type_header));
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
  if (auto refused = check_request_id(request_id)) return refused;
  if (m_streaming) return replies::invalid_state("Running", "ResponseSent"); // a second stream at once
  m_streaming = true;
  m_streamed_bytes = 0;
  if (m_callbacks.stream_began) m_callbacks.stream_began(content_type.empty() ? "application/octet-stream" : content_type, clock::now());
  return std::nullopt;
}

std::optional<reply> broker::stream_data(std::string_view request_id, std::string_view bytes, std::function<void()> more) {
  if (!m_streaming || check_request_id(request_id)) { // the invocation ended meanwhile (timed out, ...)
    more();
    return replies::invalid_request_id();
  }
  const bool over = m_streamed_bytes + bytes.size() > m_max_stream_bytes;
  if (over) bytes = bytes.substr(0, static_cast<std::size_t>(m_max_stream_bytes - m_streamed_bytes));
  m_streamed_bytes += bytes.size();
  bool taken = true;
  if (bytes.empty()) {
    more();
  } else if (m_callbacks.stream_data) {
    taken = m_callbacks.stream_data(bytes, std::move(more));
  } else {
    more();
  }
  if (!over && taken) return std::nullopt;
  complete(over ? core::stream_too_large_outcome(m_max_stream_bytes) : core::response_too_large_outcome());
  return over ? replies::stream_too_large(m_max_stream_bytes) : replies::too_large();
}

reply broker::stream_end(std::string_view request_id, std::string_view error_type, std::string_view error_body) {
  if (!m_streaming || check_request_id(request_id)) return replies::invalid_request_id();
  if (error_type.empty() && error_body.empty()) {
    complete(core::outcome{core::outcome_kind::success, {}, {}, {}});
  } else {
    complete(core::stream_error_outcome(error_type, error_body));
  }
  return replies::accepted();
}

void broker::stream_cut(std::string_view request_id) {
  if (!m_streaming || check_request_id(request_id)) return;
  if (m_callbacks.stream_cut) m_callbacks.stream_cut();
}

void broker::close() {
  // Nothing is reported after close(): every entry point refuses a closed broker. The callbacks are kept,
  // since close() may be called from inside one of them.
  m_state = state::closed;
  if (m_waiter) {
    auto waiter = std::move(m_waiter);
    m_waiter = nullptr;
    waiter(delivery{});
  }
}

} // namespace lemu::runtime_api
