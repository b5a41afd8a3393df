// Lambda Runtime API client, synchronous, over the samples' shared keep-alive connection (http_client/).

#include <lemu_runtime/runtime.hpp>

#include <lemu_sample_http/connection.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <utility>

namespace lemu_runtime {

namespace {

namespace http = boost::beast::http;
namespace sample_http = lemu_sample_http;

constexpr std::string_view invocation_path = "/2018-06-01/runtime/invocation/";
constexpr const char* next_target = "/2018-06-01/runtime/invocation/next";
constexpr const char* init_error_target = "/2018-06-01/runtime/init/error";

// Header names, lowercase like aws-lambda-cpp's; Beast compares field names case-insensitively.
constexpr std::string_view request_id_header = "lambda-runtime-aws-request-id";
constexpr std::string_view deadline_header = "lambda-runtime-deadline-ms";
constexpr std::string_view function_arn_header = "lambda-runtime-invoked-function-arn";
constexpr std::string_view trace_id_header = "lambda-runtime-trace-id";
constexpr std::string_view client_context_header = "lambda-runtime-client-context";
constexpr std::string_view cognito_identity_header = "lambda-runtime-cognito-identity";
constexpr std::string_view tenant_id_header = "lambda-runtime-aws-tenant-id";
constexpr std::string_view error_type_header = "lambda-runtime-function-error-type";
constexpr std::string_view content_type_header = "content-type";

constexpr const char* json_content_type = "application/json";
constexpr const char* user_agent = "lemu-runtime-client/0.1";

// Consecutive failed /next calls after which run_handler() gives up (aws-lambda-cpp also tries 3 times).
constexpr int max_next_attempts = 3;

// One line on stderr. stderr is unbuffered and a single fprintf is a single write, so the line reaches
// the emulator's pipe at once and whole.
void log_error(const std::string& message) { std::fprintf(stderr, "lemu-runtime: %s\n", message.c_str()); }

std::string field(const http::fields& fields, std::string_view name) {
  const boost::beast::string_view value = fields[name];
  return {value.data(), value.size()};
}

// Lambda-Runtime-Deadline-Ms is untrusted input: anything but a representable non-negative integer
// leaves the deadline at the epoch.
std::chrono::system_clock::time_point parse_deadline(std::string_view text) {
  using std::chrono::milliseconds;
  constexpr auto max_ms = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::duration::max()).count();
  std::int64_t ms = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, ms);
  if (ec != std::errc{} || stop != end || ms < 0 || ms > max_ms) {
    return {};
  }
  return std::chrono::system_clock::time_point{milliseconds{ms}};
}

invocation_response call_handler(const handler_function& handler, const invocation_request& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    return invocation_response::failure(e.what(), "Runtime.HandlerException");
  }
}

} // namespace

// ---- value types --------------------------------------------------------------------------------

std::chrono::milliseconds invocation_request::get_time_remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::system_clock::now());
}

invocation_response::invocation_response(std::string payload, std::string content_type, bool success)
    : m_payload(std::move(payload)), m_content_type(std::move(content_type)), m_success(success) {}

invocation_response invocation_response::success(std::string payload, std::string content_type) {
  return invocation_response(std::move(payload), std::move(content_type), true);
}

invocation_response invocation_response::failure(const std::string& error_message, const std::string& error_type) {
  const nlohmann::ordered_json body = {
      {"errorMessage", error_message}, {"errorType", error_type}, {"stackTrace", nlohmann::ordered_json::array()}};
  // `replace` turns invalid UTF-8 (e.g. from an exception text) into U+FFFD instead of throwing.
  return invocation_response(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                             json_content_type, false);
}

std::string api_status::describe() const {
  if (!error.empty()) {
    return error;
  }
  std::string text = "HTTP " + std::to_string(http_status);
  if (!reply.empty()) {
    text += ' ';
    text += reply;
  }
  return text;
}

// ---- connection ---------------------------------------------------------------------------------

struct runtime::impl {
  explicit impl(std::string endpoint_text)
      : http(std::move(endpoint_text), "Runtime API"), next_request(http.make_get(next_target, user_agent)) {}

  api_status round_trip(const auto& request, sample_http::string_reply& reply);
  api_status post(const std::string& target, const std::string& body, const std::string& content_type,
                  std::string_view error_type = {});

  sample_http::connection http;
  sample_http::empty_request next_request; // identical for every get_next(), built once
};

// One exchange; the body of a non-2xx reply is moved into the status.
api_status runtime::impl::round_trip(const auto& request, sample_http::string_reply& reply) {
  const sample_http::exchange_status exchanged = http.round_trip(request, reply);
  api_status status{exchanged.http_status, exchanged.error, {}};
  if (status.error.empty() && !status.ok()) {
    status.reply = std::move(reply.body());
  }
  return status;
}

api_status runtime::impl::post(const std::string& target, const std::string& body, const std::string& content_type,
                               std::string_view error_type) {
  // span_body points into `body`: the payload is written from where it is, never copied.
  sample_http::span_request request = http.make_request(http::verb::post, target, user_agent);
  request.set(http::field::content_type, content_type);
  if (!error_type.empty()) {
    request.set(error_type_header, error_type);
  }
  request.body() = {body.data(), body.size()};
  request.prepare_payload(); // Content-Length
  sample_http::string_reply reply;
  return round_trip(request, reply);
}

// ---- runtime ------------------------------------------------------------------------------------

runtime::runtime() : runtime(sample_http::endpoint_from_environment()) {
  if (m_impl->http.endpoint().empty()) {
    m_impl->http.set_config_error("AWS_LAMBDA_RUNTIME_API is not set");
  }
}

runtime::runtime(std::string endpoint) : m_impl(std::make_unique<impl>(std::move(endpoint))) {}

runtime::~runtime() = default;

next_outcome runtime::get_next() {
  next_outcome outcome;
  sample_http::string_reply reply;
  outcome.status = m_impl->round_trip(m_impl->next_request, reply);
  if (!outcome.status.ok()) {
    return outcome;
  }
  invocation_request request;
  request.request_id = field(reply, request_id_header);
  if (request.request_id.empty()) {
    outcome.status.error = "the /next reply has no Lambda-Runtime-Aws-Request-Id header";
    return outcome;
  }
  request.function_arn = field(reply, function_arn_header);
  request.xray_trace_id = field(reply, trace_id_header);
  request.client_context = field(reply, client_context_header);
  request.cognito_identity = field(reply, cognito_identity_header);
  request.tenant_id = field(reply, tenant_id_header);
  request.content_type = field(reply, content_type_header);
  request.deadline = parse_deadline(reply[deadline_header]);
  request.payload = std::move(reply.body());
  outcome.request = std::move(request);
  return outcome;
}

api_status runtime::post_success(const std::string& request_id, const invocation_response& response) {
  return m_impl->post(std::string(invocation_path) + request_id + "/response", response.get_payload(),
                      response.get_content_type());
}

api_status runtime::post_failure(const std::string& request_id, const invocation_response& response) {
  return m_impl->post(std::string(invocation_path) + request_id + "/error", response.get_payload(),
                      response.get_content_type());
}

api_status runtime::post_init_error(const std::string& error_type, const std::string& error_message) {
  const invocation_response error = invocation_response::failure(error_message, error_type);
  return m_impl->post(init_error_target, error.get_payload(), error.get_content_type(), error_type);
}

// ---- streamed responses --------------------------------------------------------------------------

namespace {
std::string base64(const std::string& bytes) {
  std::string out(boost::beast::detail::base64::encoded_size(bytes.size()), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}
api_status from_exchange(const sample_http::exchange_status& e) { return api_status{e.http_status, e.error, {}}; }
} // namespace

response_writer runtime::stream_response(const std::string& request_id, const std::string& content_type) {
  response_writer w(*this);
  sample_http::span_request head =
      m_impl->http.make_request(http::verb::post, std::string(invocation_path) + request_id + "/response", user_agent);
  head.set(http::field::content_type, content_type);
  head.set("Lambda-Runtime-Function-Response-Mode", "streaming");
  head.set(http::field::trailer, "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
  w.m_status = from_exchange(m_impl->http.begin_chunked(head));
  return w;
}

api_status response_writer::write(std::string_view bytes) {
  if (m_status.ok()) m_status = from_exchange(m_runtime.m_impl->http.write_chunk(bytes));
  return m_status;
}

api_status response_writer::end(const std::string& trailers) {
  if (!m_status.ok()) return m_status;
  sample_http::string_reply reply;
  m_status = from_exchange(m_runtime.m_impl->http.end_chunked(trailers, reply));
  if (m_status.error.empty() && !m_status.ok()) m_status.reply = std::move(reply.body());
  return m_status;
}

api_status response_writer::finish() { return end(""); }

api_status response_writer::fail(const std::string& error_type, const std::string& error_json) {
  return end("Lambda-Runtime-Function-Error-Type: " + error_type + "\r\nLambda-Runtime-Function-Error-Body: " +
             base64(error_json) + "\r\n");
}

api_status response_writer::fail_in_body(const std::string& error_type, const std::string& error_json) {
  write("Lambda-Runtime-Function-Error-Type: " + error_type + "\r\nLambda-Runtime-Function-Error-Body: " +
        base64(error_json) + "\r\n");
  return finish();
}

void response_writer::abandon() {
  m_runtime.m_impl->http.close();
  m_status = api_status{0, "abandoned", {}};
}

void runtime::run_handler(const handler_function& handler) {
  for (int failures = 0; failures < max_next_attempts;) {
    const next_outcome next = get_next();
    if (!next) {
      ++failures;
      log_error("GET /next failed: " + next.status.describe());
      continue;
    }
    failures = 0;
    const invocation_request& request = *next.request;
    const invocation_response response = call_handler(handler, request);
    const api_status posted =
        response.is_success() ? post_success(request.request_id, response) : post_failure(request.request_id, response);
    if (!posted.ok()) {
      log_error("posting the result of " + request.request_id + " failed: " + posted.describe());
    }
  }
  log_error("giving up after " + std::to_string(max_next_attempts) + " failed /next calls in a row");
}

void run_handler(const handler_function& handler) { runtime().run_handler(handler); }

} // namespace lemu_runtime
