// Lambda Extensions API client, synchronous, over the samples' shared keep-alive connection (http_client/).

#include <lemu_extension/extension.hpp>

#include <lemu_sample_http/connection.hpp>
#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>

namespace lemu_extension {

namespace {

namespace http = boost::beast::http;
namespace sample_http = lemu_sample_http;
using json = nlohmann::json;

constexpr const char* register_target = "/2020-01-01/extension/register";
constexpr const char* next_target = "/2020-01-01/extension/event/next";
constexpr const char* init_error_target = "/2020-01-01/extension/init/error";
constexpr const char* exit_error_target = "/2020-01-01/extension/exit/error";

constexpr std::string_view name_header = "Lambda-Extension-Name";
constexpr std::string_view accept_feature_header = "Lambda-Extension-Accept-Feature";
constexpr std::string_view identifier_header = "Lambda-Extension-Identifier";
constexpr std::string_view event_identifier_header = "Lambda-Extension-Event-Identifier";
constexpr std::string_view error_type_header = "Lambda-Extension-Function-Error-Type";

constexpr const char* json_content_type = "application/json";
constexpr const char* user_agent = "lemu-extension-client/0.1";

std::string to_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string field(const http::fields& fields, std::string_view name) {
  const boost::beast::string_view value = fields[name];
  return {value.data(), value.size()};
}

// The string member `key` of `object`, or "" when it is missing or not a string.
std::string string_member(const json& object, const char* key) {
  const auto found = object.is_object() ? object.find(key) : object.end();
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

} // namespace

std::string api_status::describe() const {
  if (!error.empty()) {
    return error;
  }
  std::string text = "HTTP " + std::to_string(http_status);
  if (!body.empty()) {
    text += ' ';
    text += body;
  }
  return text;
}

std::string error_request(const std::string& error_message, const std::string& error_type) {
  return to_text(json{{"errorMessage", error_message}, {"errorType", error_type}, {"stackTrace", json::array()}});
}

struct client::impl {
  explicit impl(std::string endpoint) : http(std::move(endpoint), "Extensions API") {}

  api_status round_trip(const auto& request, sample_http::string_reply& reply) {
    const sample_http::exchange_status exchanged = http.round_trip(request, reply);
    api_status status{exchanged.http_status, exchanged.error, {}};
    if (status.error.empty()) {
      status.body = std::move(reply.body());
    }
    return status;
  }

  // A request with a JSON body (may be empty) and the extension's identifier once it has one.
  api_status send(http::verb method, const std::string& target, const std::string& body,
                  std::string_view error_type = {}) {
    sample_http::span_request request = http.make_request(method, target, user_agent);
    if (!identifier.empty()) {
      request.set(identifier_header, identifier);
    }
    if (!error_type.empty()) {
      request.set(error_type_header, error_type);
    }
    request.set(http::field::content_type, json_content_type);
    request.body() = {body.data(), body.size()};
    request.prepare_payload();
    sample_http::string_reply reply;
    return round_trip(request, reply);
  }

  registration register_extension(const std::string& name, const std::string& body,
                                  const std::vector<std::string>& accept_features, const char* content_type);

  sample_http::connection http;
  std::string identifier;
};

client::client() : client(sample_http::endpoint_from_environment()) {
  if (m_impl->http.endpoint().empty()) {
    m_impl->http.set_config_error("AWS_LAMBDA_RUNTIME_API is not set");
  }
}

client::client(std::string endpoint) : m_impl(std::make_unique<impl>(std::move(endpoint))) {}

client::~client() = default;

const std::string& client::identifier() const { return m_impl->identifier; }

registration client::register_extension(const std::string& name, const std::vector<std::string>& events,
                                        const std::vector<std::string>& accept_features) {
  return m_impl->register_extension(name, to_text(json{{"events", events}}), accept_features, json_content_type);
}

registration client::register_with_body(const std::string& name, const std::string& body,
                                        const std::vector<std::string>& accept_features) {
  return m_impl->register_extension(name, body, accept_features, nullptr);
}

registration client::impl::register_extension(const std::string& name, const std::string& body,
                                              const std::vector<std::string>& accept_features,
                                              const char* content_type) {
  // Never an identifier on this call: it is the one that hands it out.
  sample_http::span_request request = http.make_request(http::verb::post, register_target, user_agent);
  request.set(name_header, name);
  if (!accept_features.empty()) {
    request.set(accept_feature_header, join(accept_features, ','));
  }
  if (content_type != nullptr) {
    request.set(http::field::content_type, content_type);
  }
  request.body() = {body.data(), body.size()};
  request.prepare_payload();
  sample_http::string_reply reply;
  registration result;
  result.status = round_trip(request, reply);
  if (!result.status.ok()) {
    return result;
  }
  result.identifier = field(reply, identifier_header);
  if (result.identifier.empty()) {
    result.status.error = "the register reply has no Lambda-Extension-Identifier header";
    return result;
  }
  const json doc = json::parse(result.status.body, nullptr, /*allow_exceptions=*/false);
  result.function_name = string_member(doc, "functionName");
  result.function_version = string_member(doc, "functionVersion");
  result.handler = string_member(doc, "handler");
  result.account_id = string_member(doc, "accountId");
  identifier = result.identifier;
  return result;
}

next_outcome client::next_event() {
  next_outcome outcome;
  sample_http::empty_request request = m_impl->http.make_get(next_target, user_agent);
  if (!m_impl->identifier.empty()) {
    request.set(identifier_header, m_impl->identifier);
  }
  sample_http::string_reply reply;
  outcome.status = m_impl->round_trip(request, reply);
  if (!outcome.status.ok()) {
    return outcome;
  }
  const json doc = json::parse(outcome.status.body, nullptr, /*allow_exceptions=*/false);
  event ev;
  ev.event_type = string_member(doc, "eventType");
  if (ev.event_type.empty()) {
    outcome.status.error = "the event has no string eventType: " + outcome.status.body;
    return outcome;
  }
  if (const auto deadline = doc.find("deadlineMs"); deadline != doc.end() && deadline->is_number_integer()) {
    ev.deadline_ms = deadline->get<std::int64_t>();
  }
  ev.request_id = string_member(doc, "requestId");
  ev.invoked_function_arn = string_member(doc, "invokedFunctionArn");
  ev.shutdown_reason = string_member(doc, "shutdownReason");
  if (const auto tracing = doc.find("tracing"); tracing != doc.end()) {
    ev.tracing_type = string_member(*tracing, "type");
    ev.tracing_value = string_member(*tracing, "value");
  }
  ev.event_identifier = field(reply, event_identifier_header);
  ev.json = outcome.status.body;
  outcome.value = std::move(ev);
  return outcome;
}

api_status client::init_error(const std::string& error_type, const std::string& body) {
  return m_impl->send(http::verb::post, init_error_target, body, error_type);
}

api_status client::exit_error(const std::string& error_type, const std::string& body) {
  return m_impl->send(http::verb::post, exit_error_target, body, error_type);
}

api_status client::subscribe(const std::string& api_path, const std::string& json_body) {
  return m_impl->send(http::verb::put, "/" + api_path, json_body);
}

} // namespace lemu_extension
