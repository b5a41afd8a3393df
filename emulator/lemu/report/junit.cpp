#include <lemu/report/junit.hpp>

#include <lemu/report/text.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>

namespace lemu::report {

namespace {

constexpr std::string_view epoch = "1970-01-01T00:00:00";

bool digits_at(std::string_view s, std::size_t pos, std::size_t n, int& value) {
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

// "YYYY-MM-DDThh:mm:ss" from the start of `ts` when it is a valid xs:dateTime there.
std::string_view schema_timestamp(std::string_view ts) {
  if (ts.size() < 19) return epoch;
  ts = ts.substr(0, 19);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits_at(ts, 0, 4, year) || ts[4] != '-' || !digits_at(ts, 5, 2, month) || ts[7] != '-' ||
      !digits_at(ts, 8, 2, day) || ts[10] != 'T' || !digits_at(ts, 11, 2, hour) || ts[13] != ':' ||
      !digits_at(ts, 14, 2, minute) || ts[16] != ':' || !digits_at(ts, 17, 2, second)) {
    return epoch;
  }
  static constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year == 0 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return epoch;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = days_in_month[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day < 1 || day > max_day) return epoch;
  return ts;
}

// Seconds for a time attribute: NaN and negatives as 0, capped at 1e9 s so that the decimal stays short.
double seconds(double s) { return std::isfinite(s) && s > 0 ? std::min(s, 1e9) : 0; }

std::string token_or(std::string_view raw, std::string_view fallback) {
  std::string t = clean_token(raw);
  return t.empty() ? std::string(fallback) : t;
}

void attribute(std::string& out, std::string_view name, std::string_view clean_value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_xml_escaped(out, clean_value, true);
  out += '"';
}

} // namespace

const char* to_string(test_case::result r) {
  switch (r) {
  case test_case::result::passed: return "passed";
  case test_case::result::failed: return "failed";
  case test_case::result::error: return "error";
  }
  return "passed";
}

std::string junit_type(const test_case& c) {
  switch (c.status) {
  case test_case::result::passed: return "";
  case test_case::result::failed: return "mismatch";
  case test_case::result::error: break;
  }
  std::size_t n = 0;
  const std::string& m = c.message;
  while (n < m.size() && (std::isalnum(static_cast<unsigned char>(m[n])) || m[n] == '.' || m[n] == '_' || m[n] == '-')) {
    ++n;
  }
  if (n == 0) return "InvocationError";
  const std::string token = m.substr(0, n);
  // The whole message, "Type: text", or "Namespace.Type text" (a dotted name); not the first word of a sentence.
  if (n == m.size() || m[n] == ':' || (m[n] == ' ' && token.find('.') != std::string::npos)) return token;
  return "InvocationError";
}

std::string render_junit(const std::string& suite_name, const std::vector<test_case>& cases,
                         std::string_view timestamp_iso8601, std::string_view hostname) {
  std::size_t failures = 0, errors = 0;
  double total_s = 0;
  std::size_t details_bytes = 0;
  for (const auto& c : cases) {
    if (c.status == test_case::result::failed) ++failures;
    if (c.status == test_case::result::error) ++errors;
    total_s += seconds(c.time_s);
    details_bytes += c.details.size() + c.message.size() + c.name.size() + c.classname.size();
  }

  std::string out;
  out.reserve(256 + cases.size() * 128 + details_bytes + details_bytes / 8);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuite";
  attribute(out, "name", token_or(suite_name, "lemu"));
  attribute(out, "tests", std::to_string(cases.size()));
  attribute(out, "failures", std::to_string(failures));
  attribute(out, "errors", std::to_string(errors));
  attribute(out, "skipped", "0");
  attribute(out, "time", decimal(total_s, 3));
  attribute(out, "timestamp", schema_timestamp(timestamp_iso8601));
  attribute(out, "hostname", token_or(hostname, "localhost"));
  out += ">\n";
  out += "  <properties/>\n";
  for (const auto& c : cases) {
    out += "  <testcase";
    attribute(out, "name", token_or(c.name, "(unnamed)"));
    attribute(out, "classname", clean_token(c.classname));
    attribute(out, "time", decimal(seconds(c.time_s), 3));
    if (c.status == test_case::result::passed) {
      out += "/>\n";
      continue;
    }
    const char* element = c.status == test_case::result::failed ? "failure" : "error";
    out += ">\n    <";
    out += element;
    attribute(out, "message", clean_text(c.message));
    attribute(out, "type", clean_token(junit_type(c)));
    out += '>';
    append_xml_escaped(out, clean_text(c.details), false);
    out += "</";
    out += element;
    out += ">\n  </testcase>\n";
  }
  out += "  <system-out/>\n";
  out += "  <system-err/>\n";
  out += "</testsuite>\n";
  return out;
}

} // namespace lemu::report
