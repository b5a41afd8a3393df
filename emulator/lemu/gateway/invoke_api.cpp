#include <lemu/gateway/invoke_api.hpp>

#include <lemu/core/tenant.hpp>
#include <lemu/events/checksums.hpp>
#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/utf8.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <regex>

namespace lemu::gateway::invoke_api {

namespace {

constexpr std::string_view prefix = "/2015-03-31/functions/";
constexpr std::string_view suffix = "/invocations";
constexpr std::string_view stream_prefix = "/2021-11-15/functions/";
constexpr std::string_view stream_suffix = "/response-streaming-invocations";
constexpr const char* name_pattern =
    R"((arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)";
constexpr std::size_t max_function_name = 170;

api_error validation_error(std::string_view value, std::string_view field, std::string_view constraint) {
  return {400, "ValidationException",
          "1 validation error detected: Value '" + std::string(value) + "' at '" + std::string(field) +
              "' failed to satisfy constraint: " + std::string(constraint),
          {}};
}

bool simple_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

api_error invalid_content(std::string message) { return {400, "InvalidRequestContentException", std::move(message), {}}; }

} // namespace


http_response error_response(const api_error& e, std::string_view request_id) {
  nlohmann::ordered_json body;
  if (!e.reason.empty()) body["Reason"] = e.reason;
  body["Type"] = e.status >= 500 ? "Service" : "User";
  body["Message"] = e.message;
  http_response r;
  r.status = e.status;
  r.headers = {{"Content-Type", "application/json"}};
  if (!request_id.empty()) r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.headers.emplace_back("x-amzn-ErrorType", e.type);
  // Messages quote what the client sent, which need not be UTF-8: bad bytes become U+FFFD.
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

std::variant<function_ref, api_error> parse_function_name(std::string_view text) {
  if (text.size() > max_function_name) {
    return validation_error(text, "functionName", "Member must have length less than or equal to 170");
  }
  function_ref ref;
  if (simple_name(text)) {
    ref.name = std::string(text);
    return ref;
  }
  static const std::regex pattern(name_pattern);
  std::match_results<std::string_view::const_iterator> m;
  if (text.empty() || !std::regex_match(text.begin(), text.end(), m, pattern)) {
    return validation_error(text, "functionName",
                            std::string("Member must satisfy regular expression pattern: ") + name_pattern);
  }
  ref.name = m[7].str();
  if (m[9].matched) ref.qualifier = m[9].str();
  if (m[3].matched) ref.region = m[3].str().substr(0, m[3].length() - 1);
  if (m[5].matched) ref.account_id = m[5].str().substr(0, m[5].length() - 1);
  return ref;
}

std::variant<invoke_request, api_error> parse_request(const http_request& req, std::size_t body_bytes) {
  const std::string_view target = req.target;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const auto routed = [&](std::string_view pre, std::string_view suf) {
    return path.size() > pre.size() + suf.size() && path.substr(0, pre.size()) == pre &&
           path.substr(path.size() - suf.size()) == suf;
  };
  const bool streaming = routed(stream_prefix, stream_suffix);
  if (req.method != "POST" || (!streaming && !routed(prefix, suffix))) {
    return api_error{404, "UnknownOperationException",
                     "Unknown operation: " + req.method + " " + std::string(path) +
                         " (lemu serves POST /2015-03-31/functions/{FunctionName}/invocations and POST "
                         "/2021-11-15/functions/{FunctionName}/response-streaming-invocations)",
                     {}};
  }
  const std::size_t skip = streaming ? stream_prefix.size() : prefix.size();
  const std::size_t cut = streaming ? stream_suffix.size() : suffix.size();
  const std::string name = percent_decode(path.substr(skip, path.size() - skip - cut));
  auto parsed = parse_function_name(name);
  if (auto* e = std::get_if<api_error>(&parsed)) return *e;
  invoke_request r;
  r.streaming = streaming;
  r.function = std::get<function_ref>(std::move(parsed));
  if (const auto qualifier = util::query_parameter(query, "Qualifier")) {
    const bool valid = qualifier->size() <= 128 && std::all_of(qualifier->begin(), qualifier->end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '$' || c == '_' || c == '-';
    });
    if (!valid) {
      return validation_error(*qualifier, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)");
    }
    if (!r.function.qualifier.empty() && r.function.qualifier != *qualifier) {
      return api_error{400, "InvalidParameterValueException",
                       "The derived qualifier from the function name does not match the specified qualifier.", {}};
    }
    r.function.qualifier = *qualifier;
  }

  const std::string_view type = req.header("X-Amz-Invocation-Type").value_or("RequestResponse");
  if (type == "RequestResponse") {
    r.type = invocation_type::request_response;
  } else if (type == "Event" && !streaming) {
    r.type = invocation_type::event;
  } else if (type == "DryRun") {
    r.type = invocation_type::dry_run;
  } else if (streaming) { // ResponseStreamingInvocationType
    return validation_error(type, "invocationType", "Member must satisfy enum value set: [RequestResponse, DryRun]");
  } else {
    return validation_error(type, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
  }
  const std::string_view log_type = req.header("X-Amz-Log-Type").value_or("None");
  if (log_type != "None" && log_type != "Tail") {
    return validation_error(log_type, "logType", "Member must satisfy enum value set: [Tail, None]");
  }
  r.tail = log_type == "Tail" && r.type == invocation_type::request_response;
  if (const auto tenant = req.header("X-Amz-Tenant-Id")) {
    if (const std::string problem = core::tenant_id_problem(*tenant); !problem.empty()) {
      return validation_error(*tenant, "tenantId", problem);
    }
    r.tenant_id = std::string(*tenant);
  }

  const std::size_t limit = r.type == invocation_type::event ? max_async_payload : max_sync_payload;
  if (body_bytes > limit) {
    return api_error{413, "RequestTooLargeException",
                     "Request must be smaller than " + std::to_string(limit) + " bytes for the InvokeFunction operation", {}};
  }

  if (const auto context = req.header("X-Amz-Client-Context"); context && !context->empty()) {
    if (context->size() > max_client_context) {
      return invalid_content("Client context must be no longer than " + std::to_string(max_client_context) + " bytes");
    }
    const auto decoded = events::base64_decode(*context);
    if (decoded && util::is_valid_json(*decoded)) r.client_context = util::minify_json(*decoded);
    if (r.client_context.empty() || r.client_context.front() != '{') {
      return invalid_content("Client context must be a valid Base64-encoded JSON object.");
    }
  }

  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.payload = "{}";
  } else if (!util::is_valid_json(req.body)) {
    return invalid_content(invalid_json_message(req.body) + binary_format_hint(req.body));
  } else {
    r.payload = req.body;
  }
  return r;
}

api_error function_not_found(std::string_view function_arn, std::string_view qualifier) {
  return {404, "ResourceNotFoundException",
          "Function not found: " + std::string(function_arn) + ":" + std::string(qualifier.empty() ? "$LATEST" : qualifier), {}};
}

http_response server_error_page(unsigned status, const http_request* head) {
  api_error e;
  e.status = status;
  switch (status) {
  case 413: {
    const bool event = head && head->header("X-Amz-Invocation-Type").value_or("") == "Event";
    const std::size_t limit = event ? max_async_payload : max_sync_payload;
    e.type = "RequestTooLargeException";
    e.message = "Request must be smaller than " + std::to_string(limit) + " bytes for the InvokeFunction operation";
    break;
  }
  case 431:
    e.type = "RequestHeaderFieldsTooLarge";
    e.message = "Request header fields too large";
    break;
  case 400:
    e.type = "InvalidRequestContentException";
    e.message = "Could not read the request: malformed HTTP";
    break;
  case 501:
    e.type = "ServiceException";
    e.message = "Unsupported transfer encoding";
    break;
  default:
    e.type = "ServiceException";
    e.message = "Internal server error";
    break;
  }
  return error_response(e, "");
}

api_error cancelled() {
  return {503, "ServiceException", "lemu stopped before the invocation finished (a second Ctrl-C): it was cancelled", {}};
}

api_error tenant_id_required(std::string_view function_name) {
  return {400, "InvalidParameterValueException",
          "The function " + std::string(function_name) +
              " has tenant isolation: the request needs a tenant id (the X-Amz-Tenant-Id header; aws lambda invoke "
              "--tenant-id ID)",
          {}};
}

api_error tenant_id_unexpected(std::string_view function_name) {
  return {400, "InvalidParameterValueException",
          "The function " + std::string(function_name) +
              " does not have tenant isolation: the request must not carry a tenant id (X-Amz-Tenant-Id)",
          {}};
}

api_error too_many_requests() {
  return {429, "TooManyRequestsException", "Rate Exceeded.", "ConcurrentInvocationLimitExceeded"};
}

std::string binary_format_hint(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto lead = static_cast<unsigned char>(body[first]);
  if (lead >= 0x80 || lead < 0x20 || !util::is_valid_utf8(body)) {
    // The AWS CLI v2 reads --payload as base64 by default: '{"id":42}' is "decoded" into bytes like these.
    return "\n(lemu: the body is binary, not JSON text: the AWS CLI v2 base64-decodes --payload unless it is given "
           "--cli-binary-format raw-in-base64-out; add that option, or pass --payload fileb://FILE)";
  }
  const auto decoded = events::base64_decode(util::trim(body));
  if (decoded && !decoded->empty() && util::is_valid_json(*decoded)) {
    return "\n(lemu: the body is base64 of JSON: send the JSON itself; the AWS CLI v2 does with "
           "--cli-binary-format raw-in-base64-out)";
  }
  return {};
}

std::string invalid_json_message(std::string_view body) {
  std::string message = "Could not parse request body into json: Could not parse payload into json: ";
  const auto first = body.find_first_not_of(" \t\r\n");
  const char c = body[first];
  const bool starts_a_value = std::string_view("{[\"-0123456789tfn").find(c) != std::string_view::npos;
  if (starts_a_value) return message + "Unexpected end-of-input or character in the JSON text";
  // Jackson's texts, as AWS returns them, with where the error is: the line, and the column just after
  // the offending character (or token).
  auto [line, column] = util::position_of(body, first);
  const auto code = static_cast<unsigned char>(c);
  const auto is_identifier_part = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '$';
  };
  std::string what;
  std::size_t end = first + 1;
  if (code < 0x20) {
    what = "Illegal character ((CTRL-CHAR, code " + std::to_string(code) +
           ")): only regular white space (\\r, \\n, \\t) is allowed between tokens";
  } else if (is_identifier_part(c)) {
    while (end < body.size() && is_identifier_part(body[end])) ++end;
    what = "Unrecognized token '" + std::string(body.substr(first, end - first)) +
           "': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
  } else {
    what = "Unexpected character ('" + std::string(1, c) + "' (code " + std::to_string(code) +
           ")): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
  }
  column += end - first;
  return message + what + "\n at [Source: (byte[])\"" + std::string(body.substr(0, 500)) + "\"; line: " +
         std::to_string(line) + ", column: " + std::to_string(column) + "]";
}

std::string log_result(std::string_view log) {
  constexpr std::size_t tail = 4096;
  return events::base64_encode(log.size() > tail ? log.substr(log.size() - tail) : log);
}

} // namespace lemu::gateway::invoke_api
