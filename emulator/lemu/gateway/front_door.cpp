// The front door of `lemu serve`: routes, request -> event, response payload -> HTTP response.
//
// Response mapping (PROTOCOL.md §5.6):
//   rest (payload 1.0): the payload must be a JSON object with keys among statusCode (integer 100-599,
//     required), headers (object of string/number/boolean), multiValueHeaders (object of arrays of those),
//     body (string or null) and isBase64Encoded (boolean); anything else is a 502 {"message":"Internal server
//     error"} with error "Malformed Lambda proxy response: <why>". headers and multiValueHeaders are merged:
//     on the same name (case-insensitive) only the multiValueHeaders values survive, each its own header line.
//   http and url (payload 2.0): a JSON object with "statusCode" is a proxy response: statusCode (integer
//     100-599), headers (object of string/number/boolean; "a,b" stays one line), cookies (array of strings,
//     one Set-Cookie line each), body (string; absent or null is empty), isBase64Encoded (boolean); other keys
//     are ignored. Any other valid JSON is inferred as 200, Content-Type application/json, body = the payload
//     text as returned, except a top-level JSON string for http, whose body is the string's content (API
//     Gateway docs: "Hello from Lambda!" => Hello from Lambda!; the function URL docs keep the quotes, so url
//     does). Not JSON at all: 502 with error "invalid JSON in the function's response".
//   Both: null for headers, multiValueHeaders, cookies or isBase64Encoded is taken as absent (Python's None
//     for an optional field); header names must be HTTP tokens and values free of CR, LF and NUL (else 502:
//     they would break the response framing); isBase64Encoded true decodes the body (strict base64, else 502).
#include <lemu/gateway/front_door.hpp>

#include <lemu/events/checksums.hpp>
#include <lemu/events/generators.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <stdexcept>

namespace lemu::gateway {

namespace {

using json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 7> http_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool is_http_method(std::string_view m) {
  return std::find(http_methods.begin(), http_methods.end(), m) != http_methods.end();
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }

using util::percent_decode;

// "/a/b" -> {"a", "b"}; "/" -> {}; "/a/" -> {"a", ""}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() <= 1) return out;
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// A route segment: literal, {name} or {name+}.
struct segment {
  enum kind_t { literal = 0, param = 1, greedy = 2 } kind = literal;
  std::string text; // the literal, or the parameter's name
};

segment parse_segment(std::string_view s) {
  if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
    std::string_view name = s.substr(1, s.size() - 2);
    segment out;
    out.kind = segment::param;
    if (!name.empty() && name.back() == '+') {
      out.kind = segment::greedy;
      name.remove_suffix(1);
    }
    out.text = std::string(name);
    return out;
  }
  return {segment::literal, std::string(s)};
}

bool is_param_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

std::string default_stage(api_kind k) { return k == api_kind::rest ? "prod" : "$default"; }

std::string_view generator_kind(api_kind k) {
  switch (k) {
  case api_kind::rest: return "apigw-rest";
  case api_kind::http: return "apigw-http";
  case api_kind::url: return "function-url";
  }
  return "apigw-http";
}

std::string random_lower_alnum(std::size_t n) {
  static constexpr std::string_view chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(chars[device() % chars.size()]);
  return out;
}

// A stable 6-character REST resource id for (API, resource path): FNV-1a, in lowercase letters and digits.
std::string resource_id(std::string_view api_id, std::string_view resource) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::string_view part : {api_id, std::string_view("\n"), resource}) {
    for (const char ch : part) {
      h ^= static_cast<unsigned char>(ch);
      h *= 1099511628211ULL;
    }
  }
  static constexpr std::string_view chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    out.push_back(chars[h % chars.size()]);
    h /= chars.size();
  }
  return out;
}

// Decodes one UTF-8 sequence at s[i]; its length, or 0 when it is not well-formed.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0; // no overlong forms
    if (c == 0xED) hi = 0x9F; // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90; // no overlong forms
    if (c == 0xF4) hi = 0x8F; // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// Every ill-formed byte replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Keys and string values of the whole document made valid UTF-8 (so dump() cannot throw).
void make_valid_utf8(json& value) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    if (!is_valid_utf8(s)) s = to_valid_utf8(s);
  } else if (value.is_array()) {
    for (json& element : value) make_valid_utf8(element);
  } else if (value.is_object()) {
    bool keys_ok = true;
    for (auto it = value.begin(); it != value.end(); ++it) keys_ok = keys_ok && is_valid_utf8(it.key());
    if (!keys_ok) {
      json fixed = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) fixed[to_valid_utf8(it.key())] = std::move(it.value());
      value = std::move(fixed);
    }
    for (auto it = value.begin(); it != value.end(); ++it) make_valid_utf8(it.value());
  }
}

// `object` with `key: value` placed just before `before` (at the end when `before` is missing).
void insert_before(json& object, std::string_view before, const std::string& key, json value) {
  json out = json::object();
  bool placed = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!placed && it.key() == before) {
      out[key] = std::move(value);
      placed = true;
    }
    if (it.key() != key) out[it.key()] = std::move(it.value());
  }
  if (!placed) out[key] = std::move(value);
  object = std::move(out);
}

// "host:port" -> "host"; "[::1]:8080" -> "[::1]".
std::string host_part(std::string_view host) {
  host = trim(host);
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return std::string(close == std::string_view::npos ? host : host.substr(0, close + 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

// The first DNS label of a host name; an IP address is its own prefix.
std::string domain_prefix(const std::string& host) {
  const bool ip = !host.empty() && (host.front() == '[' || std::all_of(host.begin(), host.end(), [](char c) {
                                      return (c >= '0' && c <= '9') || c == '.';
                                    }));
  return ip ? host : host.substr(0, host.find('.'));
}

bool has_header(const header_list& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

http_response json_message(unsigned status, std::string_view message) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json{{"message", message}}.dump();
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Response mapping helpers

struct malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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
  if (!is_token(name)) throw malformed("header name '" + name + "' is not a valid HTTP header name");
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
// a JSON string body most likely means.
void default_content_type(header_list& headers) {
  if (!has_header(headers, "Content-Type")) headers.emplace_back("Content-Type", "application/json");
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
  default_content_type(r.headers);
  r.body = body_of(p, is_base64(p));
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
  default_content_type(r.headers);
  r.body = body_of(p, is_base64(p));
  return r;
}

} // namespace

// ---------------------------------------------------------------------------------------------------------

std::optional<api_kind> parse_api_kind(std::string_view text) {
  if (text == "rest") return api_kind::rest;
  if (text == "http") return api_kind::http;
  if (text == "url") return api_kind::url;
  return std::nullopt;
}

std::string_view to_string(api_kind k) {
  switch (k) {
  case api_kind::rest: return "rest";
  case api_kind::http: return "http";
  case api_kind::url: return "url";
  }
  return "http";
}

bool is_textual_content_type(std::optional<std::string_view> content_type) {
  if (!content_type) return true;
  const std::string media = lower(trim(content_type->substr(0, content_type->find(';'))));
  const auto ends_with = [&](std::string_view suffix) {
    return media.size() >= suffix.size() && media.compare(media.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (media.rfind("text/", 0) == 0) return true;
  if (media == "application/json" || media == "application/xml" || media == "application/javascript" ||
      media == "application/x-www-form-urlencoded")
    return true;
  return media.rfind("application/", 0) == 0 && (ends_with("+json") || ends_with("+xml"));
}

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string route::key() const { return method + " " + path; }

route parse_route(std::string_view text) {
  const std::string quoted = "bad route '" + std::string(text) + "': ";
  const auto fail = [&](const std::string& why) { throw std::invalid_argument(quoted + why); };
  std::string_view rest = trim(text);
  route r;
  if (const auto eq = rest.rfind('='); eq != std::string_view::npos) {
    r.function = std::string(trim(rest.substr(eq + 1)));
    rest = trim(rest.substr(0, eq));
    if (r.function.empty()) fail("no function name after '='");
    if (r.function.size() > 64 || !std::all_of(r.function.begin(), r.function.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
        }))
      fail("bad function name '" + r.function + "': letters, digits, '-' and '_', at most 64");
  }
  const auto space = rest.find_first_of(" \t");
  if (space == std::string_view::npos) fail("expected 'METHOD /path', e.g. 'GET /items/{id}'");
  r.method = upper(rest.substr(0, space));
  const std::string_view path = trim(rest.substr(space));
  if (r.method != "ANY" && !is_http_method(r.method))
    fail("bad method '" + std::string(rest.substr(0, space)) +
         "': expected GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY");
  if (path.empty() || path.front() != '/') fail("the path must start with '/'");
  for (const char ch : path)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F || ch == '?' || ch == '#')
      fail("the path must not hold spaces, control characters, '?' or '#'");
  const auto segments = split_path(path);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string_view s = segments[i];
    if (s.empty()) fail("empty path segment (a '//' or a trailing '/')");
    const bool has_brace = s.find_first_of("{}") != std::string_view::npos;
    if (!has_brace) continue;
    const segment seg = parse_segment(s);
    if (seg.kind == segment::literal || seg.text.find_first_of("{}") != std::string::npos)
      fail("'" + std::string(s) + "': a parameter is a whole segment, {name} or {name+}");
    if (seg.text.empty() || !std::all_of(seg.text.begin(), seg.text.end(), is_param_name_char))
      fail("bad parameter name in '" + std::string(s) + "': letters, digits, '_', '-' and '.'");
    if (seg.kind == segment::greedy && i + 1 != segments.size())
      fail("'" + std::string(s) + "': a greedy parameter {name+} must be the last segment");
    if (std::find(names.begin(), names.end(), seg.text) != names.end())
      fail("parameter '" + seg.text + "' appears twice");
    names.push_back(seg.text);
  }
  r.path = std::string(path);
  return r;
}

front_door::front_door(front_door_options o) : m_options(std::move(o)) {
  const std::string kind(to_string(m_options.kind));
  if (m_options.kind == api_kind::url && !m_options.routes.empty())
    throw std::invalid_argument("function URLs have no routes: every request goes to the function (drop --route "
                                "or use --api rest or --api http)");
  for (std::size_t i = 0; i < m_options.routes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (m_options.routes[i].key() == m_options.routes[j].key())
        throw std::invalid_argument("route '" + m_options.routes[i].key() + "' is given twice");
  if (m_options.stage.empty()) m_options.stage = default_stage(m_options.kind);
  // Region, account id and stage are checked by the event generator: one sample event now reports a bad
  // value at startup rather than on the first request.
  events::generator_options g;
  g.region = m_options.region;
  g.account_id = m_options.account_id;
  g.stage = m_options.stage;
  g.seed = 1;
  try {
    (void)events::make_event(generator_kind(m_options.kind), g);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--api ") + kind + ": " + e.what());
  }
  m_api_id = random_lower_alnum(m_options.kind == api_kind::url ? 32 : 10);
}

std::optional<route_match> front_door::match(std::string_view method, std::string_view path) const {
  const std::string m = upper(method);
  if (!is_http_method(m) || path.empty() || path.front() != '/') return std::nullopt;
  if (m_options.routes.empty()) return route_match{};

  const auto request_segments = split_path(path);
  std::vector<std::string> decoded;
  decoded.reserve(request_segments.size());
  for (const std::string_view s : request_segments) decoded.push_back(percent_decode(s));

  std::optional<route_match> best;
  std::vector<int> best_rank; // per segment kind, then 0 for an exact method, 1 for ANY
  for (const route& r : m_options.routes) {
    if (r.method != "ANY" && r.method != m) continue;
    const auto segments = split_path(r.path);
    route_match candidate;
    candidate.matched = &r;
    std::vector<int> rank;
    bool ok = true;
    std::size_t i = 0;
    for (; ok && i < segments.size(); ++i) {
      const segment seg = parse_segment(segments[i]);
      rank.push_back(seg.kind);
      if (seg.kind == segment::greedy) {
        // The rest of the path, raw segments joined by '/', then decoded; never empty.
        if (i >= request_segments.size()) {
          ok = false;
          break;
        }
        const std::size_t offset = static_cast<std::size_t>(request_segments[i].data() - path.data());
        const std::string_view tail = path.substr(offset);
        if (tail.empty())
          ok = false;
        else
          candidate.path_parameters.emplace_back(seg.text, percent_decode(tail));
        i = request_segments.size();
        break;
      }
      if (i >= request_segments.size()) {
        ok = false;
      } else if (seg.kind == segment::param) {
        if (request_segments[i].empty())
          ok = false;
        else
          candidate.path_parameters.emplace_back(seg.text, decoded[i]);
      } else if (percent_decode(seg.text) != decoded[i]) {
        ok = false;
      }
    }
    if (!ok || i != request_segments.size()) continue;
    // A longer literal/param path is more specific than one that ends earlier with a greedy segment; the
    // segment kinds compare lexicographically (a shorter prefix never ties a longer list: only a greedy
    // segment ends a match early, and it ranks above everything else at its position).
    rank.push_back(r.method == "ANY" ? 1 : 0);
    if (!best || rank < best_rank) {
      best = std::move(candidate);
      best_rank = std::move(rank);
    }
  }
  return best;
}

json front_door::make_event(const http_request& req, const route_match& m, std::int64_t now_ms) const {
  const api_kind kind = m_options.kind;
  std::string_view target = req.target;
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  const auto q = target.find('?');
  const std::string path(target.substr(0, q));
  const std::string query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("the request target '" + req.target + "' is not a path");

  events::generator_options g;
  g.region = m_options.region;
  g.account_id = m_options.account_id;
  g.stage = kind == api_kind::url ? std::string() : m_options.stage;
  g.now_ms = now_ms;
  if (!req.source_ip.empty()) g.source_ip = req.source_ip;
  g.method = upper(req.method);
  g.path = path;
  g.query = query;

  // The headers as the gateway passes them on.
  static constexpr std::array<std::string_view, 9> dropped = {"Connection", "Keep-Alive",       "Proxy-Connection",
                                                              "TE",         "Trailer",          "Transfer-Encoding",
                                                              "Upgrade",    "X-Forwarded-Port", "X-Forwarded-Proto"};
  std::string forwarded_for;
  bool has_forwarded_for = false;
  std::string host;
  for (const auto& [name, value] : req.headers) {
    if (std::any_of(dropped.begin(), dropped.end(), [&](std::string_view d) { return iequals(name, d); })) continue;
    if (iequals(name, "X-Forwarded-For")) {
      // The gateway appends the address it got the request from to the client's own list.
      const std::string_view v = trim(value);
      if (!v.empty()) forwarded_for += (forwarded_for.empty() ? "" : ", ") + std::string(v);
      has_forwarded_for = true;
      continue;
    }
    if (iequals(name, "Host")) {
      if (trim(value).empty()) continue;
      if (host.empty()) host = host_part(value);
    }
    g.headers.emplace_back(name, value);
  }
  if (has_forwarded_for && !forwarded_for.empty()) {
    const std::string ip = g.source_ip ? *g.source_ip : std::string();
    g.headers.emplace_back("X-Forwarded-For", ip.empty() ? forwarded_for : forwarded_for + ", " + ip);
  }
  if (host.empty()) {
    host = kind == api_kind::url ? m_api_id + ".lambda-url." + m_options.region + ".on.aws"
                                 : m_api_id + ".execute-api." + m_options.region + ".amazonaws.com";
    g.headers.emplace_back("Host", host);
  }
  const bool sent_user_agent = has_header(req.headers, "User-Agent");
  const bool sent_accept = has_header(req.headers, "Accept");

  if (!req.body.empty()) {
    g.body = req.body;
    g.base64 = !is_textual_content_type(req.header("Content-Type")) || !is_valid_utf8(req.body);
  }

  json e = events::make_event(generator_kind(kind), g);
  json& ctx = e["requestContext"];
  ctx["apiId"] = m_api_id;
  ctx["domainName"] = host;
  ctx["domainPrefix"] = domain_prefix(host);

  if (kind == api_kind::rest) {
    // The generator adds User-Agent and Accept as curl would send them; the gateway invents neither.
    for (const auto& [name, sent] :
         {std::pair<const char*, bool>{"User-Agent", sent_user_agent}, {"Accept", sent_accept}}) {
      if (sent) continue;
      e["headers"].erase(name);
      e["multiValueHeaders"].erase(name);
    }
    if (!sent_user_agent) ctx["identity"]["userAgent"] = nullptr;
    if (m.matched) {
      const std::string& resource = m.matched->path;
      e["resource"] = resource;
      ctx["resourcePath"] = resource;
      json params = nullptr;
      if (!m.path_parameters.empty()) {
        params = json::object();
        for (const auto& [name, value] : m.path_parameters) params[name] = value;
      }
      e["pathParameters"] = std::move(params);
    } else if (path != "/") {
      e["pathParameters"]["proxy"] = percent_decode(std::string_view(path).substr(1));
    }
    ctx["resourceId"] = resource_id(m_api_id, e["resource"].get<std::string>());
  } else {
    for (const auto& [name, sent] :
         {std::pair<const char*, bool>{"user-agent", sent_user_agent}, {"accept", sent_accept}})
      if (!sent) e["headers"].erase(name);
    if (!sent_user_agent) ctx["http"]["userAgent"] = "";
    if (kind == api_kind::http && m.matched) {
      const std::string key = m.matched->key();
      e["routeKey"] = key;
      ctx["routeKey"] = key;
      if (!m.path_parameters.empty()) {
        json params = json::object();
        for (const auto& [name, value] : m.path_parameters) params[name] = value;
        insert_before(e, "requestContext", "pathParameters", std::move(params));
      }
    }
  }
  make_valid_utf8(e);
  return e;
}

front_door::mapped front_door::map_response(std::string_view payload) const {
  mapped out;
  const json p = json::parse(payload.begin(), payload.end(), nullptr, false);
  try {
    if (m_options.kind == api_kind::rest) {
      if (p.is_discarded()) throw malformed("the payload is not valid JSON");
      if (!p.is_object()) throw malformed("the payload is a JSON " + std::string(p.type_name()) + ", not an object");
      out.response = map_v1(p);
      return out;
    }
    if (p.is_discarded()) {
      out.response = function_failed();
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
    out.response.body = p.is_string() && m_options.kind == api_kind::http ? p.get<std::string>() : std::string(payload);
  } catch (const malformed& e) {
    out.response = function_failed();
    out.error = std::string("Malformed Lambda proxy response: ") + e.what();
  }
  return out;
}

http_response front_door::function_failed() const { return json_message(502, "Internal server error"); }

http_response front_door::not_found() const {
  if (m_options.kind == api_kind::rest) return json_message(403, "Missing Authentication Token");
  return json_message(404, "Not Found");
}

} // namespace lemu::gateway
