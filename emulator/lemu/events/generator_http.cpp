// HTTP-style events: API Gateway REST (payload 1.0), HTTP API (payload 2.0), function URLs, ALB targets.
#include <lemu/events/generator_common.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/url.hpp>

#include <algorithm>
#include <cctype>

namespace lemu::events::detail {

namespace {

using header = std::pair<std::string, std::string>;

constexpr const char* default_user_agent = "curl/7.88.1";

using util::iequals;

// The request as an HTTP client sent it: method, path, raw query, headers (user's, then defaults for what
// the user did not set), and the body as it goes into the event.
struct request {
  std::string method, path, query;
  std::vector<header> headers;
  std::optional<std::string> body; // as in the event: base64 text when is_base64
  bool is_base64 = false;
  std::string source_ip, user_agent;
};

request read_request(context& c, std::string_view kind) {
  const generator_options& o = c.opt;
  const std::string where(kind);
  request r;
  r.method = util::to_upper(o.method);
  static const std::vector<std::string> methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  if (std::find(methods.begin(), methods.end(), r.method) == methods.end())
    fail(where + ": bad method '" + o.method + "': expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");

  r.path = o.path;
  r.query = o.query;
  if (!r.query.empty() && r.query.front() == '?') r.query.erase(0, 1);
  if (const auto q = r.path.find('?'); q != std::string::npos) {
    if (!r.query.empty()) fail(where + ": the path '" + o.path + "' has a query string and a query is also given");
    r.query = r.path.substr(q + 1);
    r.path.resize(q);
  }
  if (r.path.empty() || r.path.front() != '/') fail(where + ": the path must start with '/', got '" + o.path + "'");
  for (const char ch : r.path + r.query)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F || ch == '#')
      fail(where + ": the path and query must not hold spaces, control characters or '#' (percent-encode them)");

  for (const header& h : o.headers) {
    if (!util::is_http_token(h.first))
      fail(where + ": bad header name '" + h.first + "'");
    if (h.second.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      fail(where + ": the value of header '" + h.first + "' holds a line break or NUL");
    r.headers.push_back(h);
  }

  if (o.base64) {
    if (!o.body) fail(where + ": base64 needs a body");
    r.body = base64_encode(*o.body);
    r.is_base64 = true;
  } else {
    r.body = o.body;
  }
  r.source_ip = c.source_ip();
  return r;
}

bool has_header(const request& r, std::string_view name) {
  return std::any_of(r.headers.begin(), r.headers.end(), [&](const header& h) { return iequals(h.first, name); });
}

void add_default(request& r, std::string name, std::string value) {
  if (!has_header(r, name)) r.headers.emplace_back(std::move(name), std::move(value));
}

// Fills in what a client and the front end add, then notes the user agent.
void add_defaults(context& c, request& r, const std::string& host, bool with_content_length, std::string_view port,
                  std::string_view proto) {
  add_default(r, "Host", host);
  add_default(r, "User-Agent", default_user_agent);
  add_default(r, "Accept", "*/*");
  if (with_content_length && r.body) add_default(r, "Content-Length", std::to_string(c.opt.body->size()));
  add_default(r, "X-Amzn-Trace-Id", c.trace_root());
  add_default(r, "X-Forwarded-For", r.source_ip);
  add_default(r, "X-Forwarded-Port", std::string(port));
  add_default(r, "X-Forwarded-Proto", std::string(proto));
  for (const header& h : r.headers)
    if (iequals(h.first, "User-Agent")) r.user_agent = h.second;
}

// Names grouped case-insensitively (first spelling kept, or lowercased), values in order.
std::vector<std::pair<std::string, std::vector<std::string>>> group_headers(const std::vector<header>& headers,
                                                                            bool lowercase) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const header& h : headers) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return iequals(g.first, h.first); });
    if (it == out.end()) {
      out.emplace_back(lowercase ? util::to_lower(h.first) : h.first, std::vector<std::string>{});
      it = out.end() - 1;
    }
    it->second.push_back(h.second);
  }
  return out;
}

// Query parameters in order of first appearance, each with all its values.
std::vector<std::pair<std::string, std::vector<std::string>>> parse_query(std::string_view query, bool decode) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto& [name, value] : util::parse_query(query, decode)) {
    const std::string& key = name; // (clang 14 cannot capture a structured binding)
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
    if (it == out.end()) {
      out.emplace_back(std::move(name), std::vector<std::string>{});
      it = out.end() - 1;
    }
    it->second.push_back(std::move(value));
  }
  return out;
}

std::string join(const std::vector<std::string>& values, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += separator;
    out += values[i];
  }
  return out;
}

void check_stage(const std::string& stage, std::string_view kind) {
  if (stage == "$default") return;
  if (stage.empty() || stage.size() > 128 || !std::all_of(stage.begin(), stage.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_';
      }))
    fail(std::string(kind) + ": bad stage '" + stage + "': letters, digits, '-' and '_'");
}

// API Gateway's short request ids ("LV7fzho-PHcEJPw="): 11 random bytes in base64 with '-' and '_'.
std::string short_request_id(context& c) {
  std::string id = base64_encode(c.random_bytes(11));
  for (char& ch : id) {
    if (ch == '+') ch = '-';
    if (ch == '/') ch = '_';
  }
  return id;
}

// Payload 2.0 (HTTP API and function URLs): cookies split out of the Cookie headers, other headers lowercased
// with repeated names joined by ',', query parameters decoded and joined by ','.
void add_v2_request_fields(json& e, const request& r) {
  json cookies = json::array();
  json headers = json::object();
  for (const auto& [name, values] : group_headers(r.headers, true)) {
    if (name == "cookie") {
      for (const std::string& v : values) {
        std::size_t start = 0;
        while (start <= v.size()) {
          const auto semi = v.find(';', start);
          const std::string_view part =
              std::string_view(v).substr(start, semi == std::string::npos ? std::string::npos : semi - start);
          const auto first = part.find_first_not_of(' ');
          if (first != std::string_view::npos) {
            const auto last = part.find_last_not_of(' ');
            cookies.push_back(std::string(part.substr(first, last - first + 1)));
          }
          if (semi == std::string::npos) break;
          start = semi + 1;
        }
      }
      continue;
    }
    headers[name] = join(values, ",");
  }
  if (!cookies.empty()) e["cookies"] = std::move(cookies);
  e["headers"] = std::move(headers);
  const auto params = parse_query(r.query, true);
  if (!params.empty()) {
    json q = json::object();
    for (const auto& [name, values] : params) q[name] = join(values, ",");
    e["queryStringParameters"] = std::move(q);
  }
}

json v2_http(const request& r, const std::string& path) {
  json http = json::object();
  http["method"] = r.method;
  http["path"] = path;
  http["protocol"] = "HTTP/1.1";
  http["sourceIp"] = r.source_ip;
  http["userAgent"] = r.user_agent;
  return http;
}

} // namespace

json make_apigw_rest(context& c) {
  const generator_options& o = c.opt;
  request r = read_request(c, "apigw-rest");
  const std::string stage = o.stage.empty() ? "prod" : o.stage;
  check_stage(stage, "apigw-rest");
  if (stage == "$default") fail("apigw-rest: REST APIs have no $default stage; name one (prod, dev, ...)");
  const std::string api_id = c.lower_alnum(10);
  const std::string domain = api_id + ".execute-api." + o.region + ".amazonaws.com";
  add_defaults(c, r, domain, false, "443", "https");

  json headers = json::object(), multi_headers = json::object();
  for (const auto& [name, values] : group_headers(r.headers, false)) {
    headers[name] = values.back();
    multi_headers[name] = values;
  }
  const auto params = parse_query(r.query, true);
  json query = nullptr, multi_query = nullptr;
  if (!params.empty()) {
    query = json::object();
    multi_query = json::object();
    for (const auto& [name, values] : params) {
      query[name] = values.back();
      multi_query[name] = values;
    }
  }
  // A catch-all proxy resource (ANY /{proxy+}) serves every path but the root, which has its own method.
  const bool root = r.path == "/";
  const std::string resource = root ? "/" : "/{proxy+}";
  const json path_parameters = root ? json(nullptr) : json{{"proxy", r.path.substr(1)}};

  json identity = json::object();
  identity["cognitoIdentityPoolId"] = nullptr;
  identity["accountId"] = nullptr;
  identity["cognitoIdentityId"] = nullptr;
  identity["caller"] = nullptr;
  identity["sourceIp"] = r.source_ip;
  identity["principalOrgId"] = nullptr;
  identity["accessKey"] = nullptr;
  identity["cognitoAuthenticationType"] = nullptr;
  identity["cognitoAuthenticationProvider"] = nullptr;
  identity["userArn"] = nullptr;
  identity["userAgent"] = r.user_agent;
  identity["user"] = nullptr;

  json ctx = json::object();
  ctx["resourceId"] = c.lower_alnum(6);
  ctx["resourcePath"] = resource;
  ctx["httpMethod"] = r.method;
  ctx["extendedRequestId"] = base64_encode(c.random_bytes(11));
  ctx["requestTime"] = clf_time(c.now_ms());
  ctx["path"] = "/" + stage + r.path;
  ctx["accountId"] = o.account_id;
  ctx["protocol"] = "HTTP/1.1";
  ctx["stage"] = stage;
  ctx["domainPrefix"] = api_id;
  ctx["requestTimeEpoch"] = c.now_ms();
  ctx["requestId"] = c.uuid_v4();
  ctx["identity"] = std::move(identity);
  ctx["domainName"] = domain;
  ctx["apiId"] = api_id;

  json e = json::object();
  e["resource"] = resource;
  e["path"] = r.path;
  e["httpMethod"] = r.method;
  e["headers"] = std::move(headers);
  e["multiValueHeaders"] = std::move(multi_headers);
  e["queryStringParameters"] = std::move(query);
  e["multiValueQueryStringParameters"] = std::move(multi_query);
  e["pathParameters"] = path_parameters;
  e["stageVariables"] = nullptr;
  e["requestContext"] = std::move(ctx);
  e["body"] = r.body ? json(*r.body) : json(nullptr);
  e["isBase64Encoded"] = r.is_base64;
  return e;
}

json make_apigw_http(context& c) {
  const generator_options& o = c.opt;
  request r = read_request(c, "apigw-http");
  const std::string stage = o.stage.empty() ? "$default" : o.stage;
  check_stage(stage, "apigw-http");
  const std::string api_id = c.lower_alnum(10);
  const std::string domain = api_id + ".execute-api." + o.region + ".amazonaws.com";
  add_defaults(c, r, domain, true, "443", "https");
  // A named stage is the first segment of the URL path, and HTTP APIs keep it in rawPath.
  const std::string raw_path = stage == "$default" ? r.path : "/" + stage + r.path;

  json e = json::object();
  e["version"] = "2.0";
  e["routeKey"] = "$default";
  e["rawPath"] = raw_path;
  e["rawQueryString"] = r.query;
  add_v2_request_fields(e, r);
  json ctx = json::object();
  ctx["accountId"] = o.account_id;
  ctx["apiId"] = api_id;
  ctx["domainName"] = domain;
  ctx["domainPrefix"] = api_id;
  ctx["http"] = v2_http(r, raw_path);
  ctx["requestId"] = short_request_id(c);
  ctx["routeKey"] = "$default";
  ctx["stage"] = stage;
  ctx["time"] = clf_time(c.now_ms());
  ctx["timeEpoch"] = c.now_ms();
  e["requestContext"] = std::move(ctx);
  if (r.body) e["body"] = *r.body;
  e["isBase64Encoded"] = r.is_base64;
  return e;
}

json make_function_url(context& c) {
  const generator_options& o = c.opt;
  if (!o.stage.empty() && o.stage != "$default")
    fail("function-url: function URLs have no stages (got '" + o.stage + "')");
  request r = read_request(c, "function-url");
  const std::string url_id = c.lower_alnum(32);
  const std::string domain = url_id + ".lambda-url." + o.region + ".on.aws";
  add_default(r, "X-Amzn-Tls-Cipher-Suite", "TLS_AES_128_GCM_SHA256");
  add_default(r, "X-Amzn-Tls-Version", "TLSv1.3");
  add_defaults(c, r, domain, true, "443", "https");

  json e = json::object();
  e["version"] = "2.0";
  e["routeKey"] = "$default";
  e["rawPath"] = r.path;
  e["rawQueryString"] = r.query;
  add_v2_request_fields(e, r);
  json ctx = json::object();
  ctx["accountId"] = "anonymous"; // what auth type NONE gives (an AWS_IAM caller's account otherwise)
  ctx["apiId"] = url_id;
  ctx["domainName"] = domain;
  ctx["domainPrefix"] = url_id;
  ctx["http"] = v2_http(r, r.path);
  ctx["requestId"] = c.uuid_v4();
  ctx["routeKey"] = "$default";
  ctx["stage"] = "$default";
  ctx["time"] = clf_time(c.now_ms());
  ctx["timeEpoch"] = c.now_ms();
  e["requestContext"] = std::move(ctx);
  if (r.body) e["body"] = *r.body;
  e["isBase64Encoded"] = r.is_base64;
  return e;
}

json make_alb(context& c, bool multi_value) {
  const generator_options& o = c.opt;
  request r = read_request(c, multi_value ? "alb-multivalue" : "alb");
  const std::string host = "lambda-alb-" + c.digits(10) + "." + o.region + ".elb.amazonaws.com";
  add_defaults(c, r, host, true, "80", "http");
  const auto grouped = group_headers(r.headers, true);
  // ALB passes query parameters as sent (no decoding); without multi-value headers the last value wins.
  const auto params = parse_query(r.query, false);
  json query = json::object(), headers = json::object();
  for (const auto& [name, values] : params) query[name] = multi_value ? json(values) : json(values.back());
  for (const auto& [name, values] : grouped) headers[name] = multi_value ? json(values) : json(values.back());

  json e = json::object();
  e["requestContext"] =
      json{{"elb", json{{"targetGroupArn", "arn:aws:elasticloadbalancing:" + o.region + ":" + o.account_id +
                                               ":targetgroup/lambda-target/" + c.hex(16)}}}};
  e["httpMethod"] = r.method;
  e["path"] = r.path;
  e[multi_value ? "multiValueQueryStringParameters" : "queryStringParameters"] = std::move(query);
  e[multi_value ? "multiValueHeaders" : "headers"] = std::move(headers);
  e["body"] = r.body ? *r.body : std::string();
  e["isBase64Encoded"] = r.is_base64;
  return e;
}

} // namespace lemu::events::detail
