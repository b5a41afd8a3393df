#include <lemu/gateway/routes.hpp>

#include <lemu/util/text.hpp>
#include <lemu/util/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace lemu::gateway {

namespace {

constexpr std::array<std::string_view, 7> http_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

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

} // namespace

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

std::string default_stage(api_kind k) { return k == api_kind::rest ? "prod" : "$default"; }

bool is_http_method(std::string_view m) {
  return std::find(http_methods.begin(), http_methods.end(), m) != http_methods.end();
}

std::string route::key() const { return method + " " + path; }

route parse_route(std::string_view text) {
  using util::trim_ows;
  const std::string quoted = "bad route '" + std::string(text) + "': ";
  const auto fail = [&](const std::string& why) { throw std::invalid_argument(quoted + why); };
  std::string_view rest = trim_ows(text);
  route r;
  if (const auto eq = rest.rfind('='); eq != std::string_view::npos) {
    r.function = std::string(trim_ows(rest.substr(eq + 1)));
    rest = trim_ows(rest.substr(0, eq));
    if (r.function.empty()) fail("no function name after '='");
    if (r.function.size() > 64 || !std::all_of(r.function.begin(), r.function.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
        }))
      fail("bad function name '" + r.function + "': letters, digits, '-' and '_', at most 64");
  }
  const auto space = rest.find_first_of(" \t");
  if (space == std::string_view::npos) fail("expected 'METHOD /path', e.g. 'GET /items/{id}'");
  r.method = util::to_upper(rest.substr(0, space));
  const std::string_view path = trim_ows(rest.substr(space));
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

std::optional<route_match> match_route(const std::vector<route>& routes, std::string_view method,
                                       std::string_view path) {
  using util::percent_decode;
  const std::string m = util::to_upper(method);
  if (!is_http_method(m) || path.empty() || path.front() != '/') return std::nullopt;
  if (routes.empty()) return route_match{};

  const auto request_segments = split_path(path);
  std::vector<std::string> decoded;
  decoded.reserve(request_segments.size());
  for (const std::string_view s : request_segments) decoded.push_back(percent_decode(s));

  std::optional<route_match> best;
  std::vector<int> best_rank; // per segment kind, then 0 for an exact method, 1 for ANY
  for (const route& r : routes) {
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

} // namespace lemu::gateway
