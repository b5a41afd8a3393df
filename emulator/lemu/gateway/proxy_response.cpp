#include <lemu/gateway/proxy_response.hpp>

#include <lemu/events/checksums.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace lemu::gateway {

namespace {

using json = nlohmann::ordered_json;
using util::iequals;

struct malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

http_response json_message(unsigned status, std::string_view message) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json{{"message", message}}.dump();
  return r;
}

unsigned status_of(const json& value) {
  if (!value.is_number_integer()) throw malformed("statusCode must be an integer, got " + value.dump());
  const bool in_range = value.is_number_unsigned()
                            ? value.get<std::uint64_t>() >= 100 && value.get<std::uint64_t>() <= 599
                            : value.get<std::int64_t>() >= 100 && value.get<std::int64_t>() <= 599;
  if (!in_range) throw malformed("statusCode must be from 100 to 599, got " + value.dump());
  return static_cast<unsigned>(value.get<std::int64_t>());
}

// A header value as text: strings as they are, numbers and booleans as JSON writes them.
std::string header_value(const json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  throw malformed(where + " must be a string, number or boolean, got " + std::string(value.type_name()));
}

void check_header(const std::string& name, const std::string& value) {
  if (!util::is_http_token(name)) throw malformed("header name '" + name + "' is not a valid HTTP header name");
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    throw malformed("the value of header '" + name + "' holds a line break or NUL");
}

// Adds a function's header line unless it is framing (Content-Length, Transfer-Encoding): the server frames
// the response itself from the body it sends, so the function's values (possibly wrong after a base64
// decode) are dropped.
void add_header(header_list& out, const std::string& name, std::string value) {
  check_header(name, value);
  if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) return;
  out.emplace_back(name, std::move(value));
}

const json* optional_member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// The single-value headers object (payload 1.0 and 2.0).
std::vector<std::pair<std::string, std::string>> single_headers(const json& object) {
  const json* headers = optional_member(object, "headers");
  std::vector<std::pair<std::string, std::string>> out;
  if (!headers) return out;
  if (!headers->is_object()) throw malformed("headers must be an object, got " + std::string(headers->type_name()));
  for (auto it = headers->begin(); it != headers->end(); ++it)
    out.emplace_back(it.key(), header_value(it.value(), "headers." + it.key()));
  return out;
}

bool is_base64(const json& object) {
  const json* flag = optional_member(object, "isBase64Encoded");
  if (!flag) return false;
  if (!flag->is_boolean()) throw malformed("isBase64Encoded must be a boolean, got " + flag->dump());
  return flag->get<bool>();
}

std::string body_of(const json& object, bool base64) {
  const json* body = optional_member(object, "body");
  if (!body) return {};
  if (!body->is_string()) throw malformed("body must be a string or null, got " + std::string(body->type_name()));
  if (!base64) return body->get<std::string>();
  auto decoded = events::base64_decode(body->get<std::string>());
  if (!decoded) throw malformed("isBase64Encoded is true but body is not valid base64");
  return std::move(*decoded);
}

// When the function gives no Content-Type, the client gets application/json: what API Gateway REST APIs
// default to, what HTTP APIs and function URLs set when they infer a response, and what a function returning
// a JSON string body most likely means. Then the body.
void finish(http_response& r, const json& p) {
  if (!has_header(r.headers, "Content-Type")) r.headers.emplace_back("Content-Type", "application/json");
  r.body = body_of(p, is_base64(p));
}

http_response map_v1(const json& p) {
  static constexpr std::array<std::string_view, 5> allowed = {"statusCode", "headers", "multiValueHeaders", "body",
                                                              "isBase64Encoded"};
  for (auto it = p.begin(); it != p.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      throw malformed("unknown key '" + it.key() + "'");
  if (!p.contains("statusCode")) throw malformed("statusCode is missing");
  http_response r;
  r.status = status_of(p["statusCode"]);
  const auto single = single_headers(p);
  std::vector<std::pair<std::string, std::vector<std::string>>> multi;
  if (const json* mv = optional_member(p, "multiValueHeaders")) {
    if (!mv->is_object()) throw malformed("multiValueHeaders must be an object, got " + std::string(mv->type_name()));
    for (auto it = mv->begin(); it != mv->end(); ++it) {
      if (!it.value().is_array())
        throw malformed("multiValueHeaders." + it.key() + " must be an array, got " +
                        std::string(it.value().type_name()));
      std::vector<std::string> values;
      for (const json& v : it.value()) values.push_back(header_value(v, "multiValueHeaders." + it.key() + "[]"));
      multi.emplace_back(it.key(), std::move(values));
    }
  }
  for (const auto& [name, value] : single) {
    const std::string& n = name;
    const bool overridden = std::any_of(multi.begin(), multi.end(), [&](const auto& m) { return iequals(m.first, n); });
    if (!overridden) add_header(r.headers, name, value);
  }
  for (const auto& [name, values] : multi) {
    if (values.empty()) check_header(name, "");
    for (const std::string& v : values) add_header(r.headers, name, v);
  }
  finish(r, p);
  return r;
}

http_response map_v2_proxy(const json& p) {
  http_response r;
  r.status = status_of(p["statusCode"]);
  for (const auto& [name, value] : single_headers(p)) add_header(r.headers, name, value);
  if (const json* cookies = optional_member(p, "cookies")) {
    if (!cookies->is_array()) throw malformed("cookies must be an array, got " + std::string(cookies->type_name()));
    for (const json& c : *cookies) {
      if (!c.is_string()) throw malformed("cookies must hold strings, got " + std::string(c.type_name()));
      add_header(r.headers, "Set-Cookie", c.get<std::string>());
    }
  }
  finish(r, p);
  return r;
}

} // namespace

mapped_response map_stream_prelude(api_kind kind, std::string_view prelude) {
  mapped_response out;
  const json p = json::parse(prelude.begin(), prelude.end(), nullptr, false);
  try {
    if (p.is_discarded()) throw malformed("the streamed response's prelude is not valid JSON");
    if (!p.is_object()) throw malformed("the streamed response's prelude is a JSON " + std::string(p.type_name()) + ", not an object");
    out.response.status = optional_member(p, "statusCode") ? status_of(p["statusCode"]) : 200;
    for (const auto& [name, value] : single_headers(p)) add_header(out.response.headers, name, value);
    if (kind == api_kind::rest) {
      if (const json* mv = optional_member(p, "multiValueHeaders")) {
        if (!mv->is_object()) throw malformed("multiValueHeaders must be an object, got " + std::string(mv->type_name()));
        for (auto it = mv->begin(); it != mv->end(); ++it) {
          if (!it.value().is_array()) throw malformed("multiValueHeaders." + it.key() + " must be an array");
          for (const json& v : it.value())
            add_header(out.response.headers, it.key(), header_value(v, "multiValueHeaders." + it.key() + "[]"));
        }
      }
    }
    if (const json* cookies = optional_member(p, "cookies")) {
      if (!cookies->is_array()) throw malformed("cookies must be an array, got " + std::string(cookies->type_name()));
      for (const json& c : *cookies) {
        if (!c.is_string()) throw malformed("cookies must hold strings, got " + std::string(c.type_name()));
        add_header(out.response.headers, "Set-Cookie", c.get<std::string>());
      }
    }
    if (!has_header(out.response.headers, "Content-Type"))
      out.response.headers.emplace_back("Content-Type", "application/octet-stream");
  } catch (const malformed& e) {
    out.response = function_failed_response();
    out.error = std::string("Malformed Lambda proxy response: ") + e.what();
  }
  return out;
}

mapped_response map_proxy_response(api_kind kind, std::string_view payload) {
  mapped_response out;
  const json p = json::parse(payload.begin(), payload.end(), nullptr, false);
  try {
    if (kind == api_kind::rest) {
      if (p.is_discarded()) throw malformed("the payload is not valid JSON");
      if (!p.is_object()) throw malformed("the payload is a JSON " + std::string(p.type_name()) + ", not an object");
      out.response = map_v1(p);
      return out;
    }
    if (p.is_discarded()) {
      out.response = function_failed_response();
      out.error = "invalid JSON in the function's response";
      return out;
    }
    if (p.is_object() && p.contains("statusCode")) {
      out.response = map_v2_proxy(p);
      return out;
    }
    // Inference: any other JSON is the body of a 200.
    out.response.status = 200;
    out.response.headers.emplace_back("Content-Type", "application/json");
    out.response.body = p.is_string() && kind == api_kind::http ? p.get<std::string>() : std::string(payload);
  } catch (const malformed& e) {
    out.response = function_failed_response();
    out.error = std::string("Malformed Lambda proxy response: ") + e.what();
  }
  return out;
}

http_response function_failed_response() { return json_message(502, "Internal server error"); }

http_response not_found_response(api_kind kind) {
  if (kind == api_kind::rest) return json_message(403, "Missing Authentication Token");
  return json_message(404, "Not Found");
}

} // namespace lemu::gateway
