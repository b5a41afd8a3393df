#include <lemu/util/url.hpp>

#include <boost/url/grammar/hexdig_chars.hpp>
#include <boost/url/pct_string_view.hpp>

namespace lemu::util {

namespace {

namespace urls = boost::urls;

// Boost.URL decodes well-formed percent-encoded text only; this makes any text well formed without changing
// what it decodes to under the lenient rule: a '%' that starts no escape becomes "%25".
std::string escape_stray_percents(std::string_view s) {
  const auto hex = [](char c) { return urls::grammar::hexdig_chars(c); };
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '%' && !(i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2]))) out += "25";
  }
  return out;
}

} // namespace

std::string percent_decode(std::string_view s) {
  if (const auto valid = urls::make_pct_string_view(s)) return valid->decode();
  return urls::make_pct_string_view(escape_stray_percents(s)).value().decode();
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query, bool decode) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = part.find('=');
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (name.empty()) continue;
    if (decode) out.emplace_back(percent_decode(name), percent_decode(value));
    else out.emplace_back(name, value);
  }
  return out;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  for (auto& [key, value] : parse_query(query))
    if (key == name) return std::move(value);
  return std::nullopt;
}

} // namespace lemu::util
