#include <lemu/gateway/request_event.hpp>

#include <lemu/events/generators.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/url.hpp>
#include <lemu/util/utf8.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace lemu::gateway {

namespace {

using json = nlohmann::ordered_json;
using util::iequals;
using util::trim_ows;

// Keys and string values of the whole document made valid UTF-8 (so dump() cannot throw).
void make_valid_utf8(json& value) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    if (!util::is_valid_utf8(s)) s = util::to_valid_utf8(s);
  } else if (value.is_array()) {
    for (json& element : value) make_valid_utf8(element);
  } else if (value.is_object()) {
    bool keys_ok = true;
    for (auto it = value.begin(); it != value.end(); ++it) keys_ok = keys_ok && util::is_valid_utf8(it.key());
    if (!keys_ok) {
      json fixed = json::object();
      for (auto it = value.begin(); it != value.end(); ++it)
        fixed[util::to_valid_utf8(it.key())] = std::move(it.value());
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
  host = trim_ows(host);
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

json parameters_object(const route_match& m) {
  json params = json::object();
  for (const auto& [name, value] : m.path_parameters) params[name] = value;
  return params;
}

} // namespace

std::string_view generator_kind(api_kind k) {
  switch (k) {
  case api_kind::rest: return "apigw-rest";
  case api_kind::http: return "apigw-http";
  case api_kind::url: return "function-url";
  }
  return "apigw-http";
}

bool is_textual_content_type(std::optional<std::string_view> content_type) {
  if (!content_type) return true;
  const std::string_view media = util::trim_ows(content_type->substr(0, content_type->find(';')));
  const auto ends_with = [&](std::string_view suffix) {
    return media.size() >= suffix.size() && iequals(media.substr(media.size() - suffix.size()), suffix);
  };
  if (util::istarts_with(media, "text/")) return true;
  for (const std::string_view m :
       {"application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded"})
    if (iequals(media, m)) return true;
  return util::istarts_with(media, "application/") && (ends_with("+json") || ends_with("+xml"));
}

json make_request_event(const front_door_options& api, const std::string& api_id, const http_request& req,
                        const route_match& m, std::int64_t now_ms) {
  const api_kind kind = api.kind;
  std::string_view target = req.target;
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  const auto q = target.find('?');
  const std::string path(target.substr(0, q));
  const std::string query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("the request target '" + req.target + "' is not a path");

  events::generator_options g;
  g.region = api.region;
  g.account_id = api.account_id;
  g.stage = kind == api_kind::url ? std::string() : api.stage;
  g.now_ms = now_ms;
  if (!req.source_ip.empty()) g.source_ip = req.source_ip;
  g.method = util::to_upper(req.method);
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
    const std::string_view header_name = name; // (clang 14 cannot capture a structured binding)
    if (std::any_of(dropped.begin(), dropped.end(), [&](std::string_view d) { return iequals(header_name, d); })) continue;
    if (iequals(name, "X-Forwarded-For")) {
      // The gateway appends the address it got the request from to the client's own list.
      const std::string_view v = trim_ows(value);
      if (!v.empty()) forwarded_for += (forwarded_for.empty() ? "" : ", ") + std::string(v);
      has_forwarded_for = true;
      continue;
    }
    if (iequals(name, "Host")) {
      if (trim_ows(value).empty()) continue;
      if (host.empty()) host = host_part(value);
    }
    g.headers.emplace_back(name, value);
  }
  if (has_forwarded_for && !forwarded_for.empty()) {
    const std::string ip = g.source_ip ? *g.source_ip : std::string();
    g.headers.emplace_back("X-Forwarded-For", ip.empty() ? forwarded_for : forwarded_for + ", " + ip);
  }
  if (host.empty()) {
    host = kind == api_kind::url ? api_id + ".lambda-url." + api.region + ".on.aws"
                                 : api_id + ".execute-api." + api.region + ".amazonaws.com";
    g.headers.emplace_back("Host", host);
  }
  const bool sent_user_agent = has_header(req.headers, "User-Agent");
  const bool sent_accept = has_header(req.headers, "Accept");

  if (!req.body.empty()) {
    g.body = req.body;
    g.base64 = !is_textual_content_type(req.header("Content-Type")) || !util::is_valid_utf8(req.body);
  }

  json e = events::make_event(generator_kind(kind), g);
  json& ctx = e["requestContext"];
  ctx["apiId"] = api_id;
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
      e["pathParameters"] = m.path_parameters.empty() ? json(nullptr) : parameters_object(m);
    } else if (path != "/") {
      e["pathParameters"]["proxy"] = util::percent_decode(std::string_view(path).substr(1));
    }
    ctx["resourceId"] = resource_id(api_id, e["resource"].get<std::string>());
  } else {
    for (const auto& [name, sent] :
         {std::pair<const char*, bool>{"user-agent", sent_user_agent}, {"accept", sent_accept}})
      if (!sent) e["headers"].erase(name);
    if (!sent_user_agent) ctx["http"]["userAgent"] = "";
    if (kind == api_kind::http && m.matched) {
      const std::string key = m.matched->key();
      e["routeKey"] = key;
      ctx["routeKey"] = key;
      if (!m.path_parameters.empty()) insert_before(e, "requestContext", "pathParameters", parameters_object(m));
    }
  }
  make_valid_utf8(e);
  return e;
}

} // namespace lemu::gateway
