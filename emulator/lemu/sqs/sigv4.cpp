#include <lemu/sqs/sigv4.hpp>

#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>
#include <lemu/util/url.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

namespace lemu::sqs::sigv4 {

namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
// The most of a credentials file read (a real one is a few hundred bytes).
constexpr std::size_t credentials_file_limit = 1024 * 1024;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// A header value as the canonical headers have it: each line (an obsolete folded value) trimmed, the lines
// joined with ',', inner runs of spaces made one.
std::string canonical_value(std::string_view v) {
  std::string joined;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = v.find('\n', start);
    const std::string_view line = util::trim(v.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (!joined.empty() && !line.empty()) joined += ',';
    joined += line;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  std::string out;
  out.reserve(joined.size());
  for (const char c : joined) {
    const bool space = c == ' ' || c == '\t';
    if (space && !out.empty() && out.back() == ' ') continue;
    out += space ? ' ' : c;
  }
  return out;
}

std::optional<std::string> read_bounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(credentials_file_limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

} // namespace

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  return hex(std::string_view(reinterpret_cast<const char*>(out), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string_view seg = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += uri_encode(segments[i], false);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (auto& [name, value] : util::parse_query(query, true)) {
    params.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  const std::string k_date = hmac_sha256("AWS4" + std::string(secret), date);
  const std::string k_region = hmac_sha256(k_date, region);
  const std::string k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, "aws4_request");
}

signature sign(const request& r, const credentials& c, const scope& s) {
  std::map<std::string, std::string> headers; // lowercased name -> values joined with ','
  for (const auto& [name, value] : r.headers) {
    std::string& joined = headers[util::to_lower(util::trim(name))];
    if (!joined.empty()) joined += ',';
    joined += canonical_value(value);
  }
  signature out;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name;
    canonical_headers += ':';
    canonical_headers += value;
    canonical_headers += '\n';
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  out.canonical_request = r.method + '\n' + canonical_uri(r.path) + '\n' + canonical_query(r.query) + '\n' +
                          canonical_headers + '\n' + out.signed_headers + '\n' + sha256_hex(r.body);
  const std::string date = s.amz_date.substr(0, 8);
  const std::string credential_scope = date + '/' + s.region + '/' + s.service + "/aws4_request";
  out.string_to_sign = std::string(algorithm) + '\n' + s.amz_date + '\n' + credential_scope + '\n' +
                       sha256_hex(out.canonical_request);
  out.signature = hex(hmac_sha256(signing_key(c.secret_access_key, date, s.region, s.service), out.string_to_sign));
  out.authorization = std::string(algorithm) + " Credential=" + c.access_key_id + '/' + credential_scope +
                      ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;
  return out;
}

std::string amz_date(std::int64_t epoch_ms) { return util::utc_time(epoch_ms, "%Y%m%dT%H%M%SZ"); }

signature sign_request(request& r, const credentials& c, const std::string& region, const std::string& service,
                       std::int64_t epoch_ms) {
  const std::string date = amz_date(epoch_ms);
  r.headers.emplace_back("X-Amz-Date", date);
  if (!c.session_token.empty()) r.headers.emplace_back("X-Amz-Security-Token", c.session_token);
  signature s = sign(r, c, scope{date, region, service});
  r.headers.emplace_back("Authorization", s.authorization);
  return s;
}

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<credentials> parse_credentials_file(std::string_view text, const std::string& profile) {
  bool in_profile = false;
  bool seen = false;
  credentials c;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = util::trim(text.substr(start, nl - start));
    start = nl + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      std::string_view name = util::trim(line.substr(1, close == std::string_view::npos ? line.size() - 1 : close - 1));
      if (name.substr(0, 8) == "profile ") name = util::trim(name.substr(8)); // the config file's spelling
      in_profile = name == profile;
      seen = seen || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = util::to_lower(util::trim(line.substr(0, eq)));
    const std::string value(util::trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") c.access_key_id = value;
    else if (key == "aws_secret_access_key") c.secret_access_key = value;
    else if (key == "aws_session_token") c.session_token = value;
  }
  if (!seen || c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
  return c;
}

result<credentials> find_credentials(const env_lookup& env) {
  const auto get = [&](const char* name) {
    auto v = env(name);
    return v ? *v : std::string();
  };
  const std::string key = get("AWS_ACCESS_KEY_ID");
  const std::string secret = get("AWS_SECRET_ACCESS_KEY");
  if (!key.empty() && !secret.empty()) return credentials{key, secret, get("AWS_SESSION_TOKEN"), "environment"};
  if (!key.empty() || !secret.empty()) {
    return error{"MissingCredentials",
                 std::string(key.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                         : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") +
                     ": set both (and AWS_SESSION_TOKEN for temporary credentials), or neither to use the "
                     "shared credentials file"};
  }
  std::string file = get("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) {
    const std::string home = get("HOME");
    file = (home.empty() ? std::string("~") : home) + "/.aws/credentials";
  }
  std::string profile = get("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  const std::string places =
      "looked in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and in the [" + profile +
      "] profile (AWS_PROFILE names another) of " + file + " (AWS_SHARED_CREDENTIALS_FILE names another file)";
  const auto text = read_bounded(file);
  if (!text) return error{"MissingCredentials", "no AWS credentials found: " + places + ", which cannot be read"};
  auto c = parse_credentials_file(*text, profile);
  if (!c) {
    return error{"MissingCredentials", "no AWS credentials found: " + places +
                                           ", which has no such profile with aws_access_key_id and "
                                           "aws_secret_access_key"};
  }
  c->source = file + " [" + profile + "]";
  return *c;
}

std::string region_of_host(std::string_view host) {
  // sqs.<region>.amazonaws.com[.cn], <region>.queue.amazonaws.com; queue.amazonaws.com is us-east-1's.
  if (host == "queue.amazonaws.com" || host == "sqs.amazonaws.com") return "us-east-1";
  for (const std::string_view suffix : {std::string_view(".amazonaws.com"), std::string_view(".amazonaws.com.cn")}) {
    if (!util::ends_with(host, suffix)) continue;
    std::string_view rest = host.substr(0, host.size() - suffix.size());
    if (rest.substr(0, 4) == "sqs.") {
      rest.remove_prefix(4);
    } else if (util::ends_with(rest, ".queue")) {
      rest.remove_suffix(6);
    } else {
      return "";
    }
    if (rest.empty() || rest.find('.') != std::string_view::npos) return "";
    return std::string(rest);
  }
  return "";
}

std::string find_region(const env_lookup& env, const std::string& queue_url) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const auto v = env(name);
    if (v && !v->empty()) return *v;
  }
  std::string_view host = queue_url;
  const std::size_t scheme = host.find("://");
  if (scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
  host = host.substr(0, host.find_first_of("/:?#"));
  const std::string region = region_of_host(util::to_lower(host));
  return region.empty() ? "us-east-1" : region;
}

} // namespace lemu::sqs::sigv4
