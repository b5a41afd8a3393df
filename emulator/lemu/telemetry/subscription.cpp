#include <lemu/telemetry/subscription.hpp>

#include <lemu/util/json_text.hpp>
#include <lemu/util/time.hpp>

#include <boost/url/parse.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <optional>

namespace lemu::telemetry {

namespace {

using json = nlohmann::json;

// A JSON string literal of `s` (escaped as nlohmann escapes; invalid UTF-8 replaced).
std::string json_string(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value as it appears in a message: its JSON text, cut at 64 bytes.
std::string shown(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The hosts that are the sandbox itself.
bool is_sandbox_host(std::string_view host) {
  return iequals(host, "sandbox.localdomain") || iequals(host, "sandbox") || iequals(host, "localhost") ||
         host == "127.0.0.1";
}

// The value of an integer `v` (an unsigned one beyond int64 reads as INT64_MAX), nullopt for anything else.
std::optional<std::int64_t> integer(const json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? std::numeric_limits<std::int64_t>::max()
                                                                                     : static_cast<std::int64_t>(u);
  }
  return v.get<std::int64_t>();
}

// An integer member `name` of `obj` in [lo, hi], or a problem.
template <class T>
void integer_member(const json& obj, const char* name, std::int64_t lo, std::int64_t hi, T& out,
                    std::vector<std::string>& problems) {
  const auto it = obj.find(name);
  if (it == obj.end()) return;
  const auto v = integer(*it);
  if (!v || *v < lo || *v > hi) {
    problems.push_back(std::string("buffering.") + name + " should be an integer between " + std::to_string(lo) +
                       " and " + std::to_string(hi) + ", not " + shown(*it));
    return;
  }
  out = static_cast<T>(*v);
}

void check_schema_version(api which, const json& body, subscription& s, std::vector<std::string>& problems) {
  static constexpr std::array<std::string_view, 3> telemetry_versions{"2022-07-01", "2022-12-13", "2025-01-29"};
  static constexpr std::array<std::string_view, 2> logs_versions{"2020-08-15", "2021-03-18"};
  const auto it = body.find("schemaVersion");
  if (it == body.end()) {
    problems.emplace_back("schemaVersion is not provided");
    return;
  }
  const bool telemetry = which == api::telemetry;
  const std::string valid = telemetry ? "2022-07-01, 2022-12-13 or 2025-01-29" : "2020-08-15 or 2021-03-18";
  if (it->is_string()) {
    const auto& v = it->get_ref<const std::string&>();
    const bool known = telemetry ? std::find(telemetry_versions.begin(), telemetry_versions.end(), v) != telemetry_versions.end()
                                 : std::find(logs_versions.begin(), logs_versions.end(), v) != logs_versions.end();
    if (known) {
      s.schema_version = v;
      return;
    }
  }
  problems.push_back("schemaVersion " + shown(*it) + " is not supported: use " + valid);
}

void check_http_uri(const std::string& uri, destination& d, std::vector<std::string>& problems) {
  const auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) {
    problems.push_back("URI " + json_string(uri) + " is not a valid URI");
    return;
  }
  const auto& u = *parsed;
  if (!iequals(u.scheme(), "http")) {
    problems.push_back("URI scheme " + json_string(std::string(u.scheme())) + " is not supported: use http");
    return;
  }
  const std::string host = u.host();
  if (!is_sandbox_host(host)) {
    problems.push_back("URI host " + json_string(host) + " is not supported: use sandbox.localdomain");
    return;
  }
  if (!u.has_port() || u.port().empty()) {
    problems.emplace_back("URI port is not provided");
    return;
  }
  if (u.port_number() == 0) {
    problems.push_back("URI port " + json_string(std::string(u.port())) + " should be between 1 and 65535");
    return;
  }
  d.port = u.port_number();
  d.host_header = std::string(u.encoded_host_and_port());
  d.target = u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
  if (u.has_query()) d.target += "?" + std::string(u.encoded_query());
}

void check_destination(const json& body, subscription& s, std::vector<std::string>& problems) {
  const auto it = body.find("destination");
  if (it == body.end()) {
    problems.emplace_back("destination is not provided");
    return;
  }
  if (!it->is_object()) {
    problems.push_back("destination should be an object, not " + shown(*it));
    return;
  }
  const auto protocol = it->find("protocol");
  if (protocol == it->end()) {
    problems.emplace_back("destination.protocol is not provided");
    return;
  }
  if (*protocol == "HTTP") {
    s.dest.proto = destination::protocol::http;
    const auto uri = it->find("URI");
    if (uri == it->end()) {
      problems.emplace_back("URI is not provided");
    } else if (!uri->is_string() || uri->get_ref<const std::string&>().empty()) {
      problems.push_back("URI should be a non-empty string, not " + shown(*uri));
    } else {
      check_http_uri(uri->get_ref<const std::string&>(), s.dest, problems);
    }
    return;
  }
  if (*protocol == "TCP") {
    s.dest.proto = destination::protocol::tcp;
    const auto port = it->find("port");
    if (port != it->end()) {
      const auto v = integer(*port);
      if (!v || *v < 1 || *v > 65535) {
        problems.push_back("port should be an integer between 1 and 65535, not " + shown(*port));
      } else {
        s.dest.port = static_cast<std::uint16_t>(*v);
      }
      return;
    }
    const auto uri = it->find("URI");
    if (uri == it->end() || !uri->is_string()) {
      problems.emplace_back("port is not provided");
      return;
    }
    const auto parsed = boost::urls::parse_uri(uri->get_ref<const std::string&>());
    if (!parsed || !iequals(parsed->scheme(), "tcp") || !is_sandbox_host(parsed->host())) {
      problems.push_back("URI " + json_string(uri->get_ref<const std::string&>()) +
                         " is not supported for TCP: use \"port\" (or tcp://sandbox.localdomain:PORT)");
      return;
    }
    if (!parsed->has_port() || parsed->port().empty() || parsed->port_number() == 0) {
      problems.emplace_back("URI port is not provided");
      return;
    }
    s.dest.port = parsed->port_number();
    return;
  }
  problems.push_back("destination.protocol " + shown(*protocol) + " is not supported: use HTTP or TCP");
}

void check_types(const json& body, subscription& s, std::vector<std::string>& problems) {
  const auto it = body.find("types");
  if (it == body.end()) {
    problems.emplace_back("types is not provided");
    return;
  }
  if (!it->is_array()) {
    problems.push_back("types should be an array, not " + shown(*it));
    return;
  }
  if (it->empty()) {
    problems.emplace_back("types should not be empty");
    return;
  }
  for (const auto& t : *it) {
    const std::string v = t.is_string() ? t.get<std::string>() : std::string();
    if (v == "platform") {
      s.wants[static_cast<int>(category::platform)] = true;
    } else if (v == "function") {
      s.wants[static_cast<int>(category::function)] = true;
    } else if (v == "extension") {
      s.wants[static_cast<int>(category::extension)] = true;
    } else {
      problems.push_back("types " + shown(t) + " is not supported: use platform, function or extension");
      continue;
    }
    s.types.push_back(v);
  }
}

void check_buffering(const json& body, subscription& s, std::vector<std::string>& problems) {
  const auto it = body.find("buffering");
  if (it == body.end() || it->is_null()) return;
  if (!it->is_object()) {
    problems.push_back("buffering should be an object, not " + shown(*it));
    return;
  }
  integer_member(*it, "maxItems", 1000, 10000, s.buffer.max_items, problems);
  integer_member(*it, "maxBytes", 262144, 1048576, s.buffer.max_bytes, problems);
  integer_member(*it, "timeoutMs", 25, 30000, s.buffer.timeout_ms, problems);
}

std::string_view prefix(api which) { return which == api::telemetry ? "Telemetry" : "Logs"; }

// Go's json.Encoder output of RIE's ErrorResponse{ErrorMessage, ErrorType}: that key order, and a newline.
reply go_error(unsigned status, std::string_view error_type, std::string_view message) {
  return reply{status, "{\"errorMessage\":" + json_string(message) + ",\"errorType\":" + json_string(error_type) + "}\n"};
}

} // namespace

std::string_view to_string(api a) { return a == api::telemetry ? "telemetry" : "logs"; }

std::string_view to_string(category c) {
  switch (c) {
  case category::platform: return "platform";
  case category::function: return "function";
  default: return "extension";
  }
}

std::variant<subscription, reply> parse_subscription(api which, std::string_view body) {
  if (!util::is_valid_json(body)) return replies::validation_error(which, "request body is not valid JSON");
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return replies::validation_error(which, "request body is not valid JSON");
  if (!doc.is_object()) return replies::validation_error(which, "request body should be a JSON object");
  subscription s;
  s.which = which;
  std::vector<std::string> problems;
  check_schema_version(which, doc, s, problems);
  check_destination(doc, s, problems);
  check_types(doc, s, problems);
  check_buffering(doc, s, problems);
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) {
      if (!message.empty()) message += "; ";
      message += p;
    }
    return replies::validation_error(which, message);
  }
  return s;
}

namespace replies {

reply ok() { return reply{200, "\"OK\""}; }

reply validation_error(api which, std::string_view message) {
  const std::string_view type = which == api::telemetry ? "ValidationError" : "Logs.ValidationError";
  return reply{400, "{\"errorType\":" + json_string(type) + ",\"errorMessage\":" + json_string(message) + "}\n"};
}

reply subscription_closed(api which) {
  return go_error(403, std::string(prefix(which)) + ".SubscriptionClosed",
                  std::string(prefix(which)) + " API subscription is closed already");
}

reply both_apis(api which, std::string_view extension_name) {
  const std::string_view other = which == api::telemetry ? "Logs" : "Telemetry";
  return validation_error(which, "extension " + std::string(extension_name) + " is already subscribed to the " +
                                     std::string(other) +
                                     " API; an extension subscribes with the Telemetry API or the Logs API, not both");
}

reply too_many_subscribers(api which, std::size_t limit) {
  return go_error(403, std::string(prefix(which)) + ".TooManySubscribers",
                  "Subscriber limit (" + std::to_string(limit) + ") reached");
}

} // namespace replies

std::string logs_dropped_event(std::int64_t epoch_ms, std::size_t dropped_bytes, std::size_t dropped_records) {
  std::string out = "{\"time\":\"" + util::iso8601_ms(epoch_ms) + "\",\"type\":\"platform.logsDropped\",\"record\":{";
  out += "\"droppedBytes\":" + std::to_string(dropped_bytes) + ",\"droppedRecords\":" + std::to_string(dropped_records);
  out += ",\"reason\":" + json_string(logs_dropped_reason) + "}}";
  return out;
}

} // namespace lemu::telemetry
