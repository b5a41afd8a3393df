#include <lemu/compare/json_diff.hpp>

#include <lemu/compare/exact_json.hpp>
#include <lemu/util/utf8.hpp>

#include <cmath>
#include <cstdint>
#include <deque>
#include <variant>

namespace lemu::compare {
namespace {

using json = nlohmann::json;

constexpr std::size_t value_width = 200; // bytes of a rendered value before "…"
constexpr std::string_view ellipsis = "\xE2\x80\xA6"; // …

enum class json_type { null, boolean, number, string, object, array, binary, discarded };

json_type type_of(const json& j) {
  switch (j.type()) {
  case json::value_t::null: return json_type::null;
  case json::value_t::boolean: return json_type::boolean;
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float: return json_type::number;
  case json::value_t::string: return json_type::string;
  case json::value_t::object: return json_type::object;
  case json::value_t::array: return json_type::array;
  case json::value_t::binary: return is_big_integer(j) ? json_type::number : json_type::binary;
  case json::value_t::discarded: return json_type::discarded;
  }
  return json_type::discarded;
}

const char* type_name(const json& j) {
  switch (type_of(j)) {
  case json_type::null: return "null";
  case json_type::boolean: return "boolean";
  case json_type::number: return "number";
  case json_type::string: return "string";
  case json_type::object: return "object";
  case json_type::array: return "array";
  case json_type::binary: return "binary";
  case json_type::discarded: return "discarded";
  }
  return "?";
}

// An integer and a double are equal when the double is that very integer (no rounding through double).
bool integer_equals_double(const json& integer, double d) {
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  if (integer.is_number_unsigned()) {
    if (d < 0 || d >= 18446744073709551616.0) return false;
    return static_cast<std::uint64_t>(d) == integer.get<std::uint64_t>();
  }
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  return static_cast<std::int64_t>(d) == integer.get<std::int64_t>();
}

bool numbers_equal(const json& a, const json& b) {
  // Integers beyond 64 bits (kept as digits) equal only the same digits: no double can be exact there.
  if (is_big_integer(a) || is_big_integer(b)) {
    return is_big_integer(a) && is_big_integer(b) && big_integer_digits(a) == big_integer_digits(b);
  }
  const bool af = a.is_number_float();
  const bool bf = b.is_number_float();
  if (af && bf) return a.get<double>() == b.get<double>();
  if (af) return integer_equals_double(b, a.get<double>());
  if (bf) return integer_equals_double(a, b.get<double>());
  const bool au = a.is_number_unsigned();
  const bool bu = b.is_number_unsigned();
  if (au && bu) return a.get<std::uint64_t>() == b.get<std::uint64_t>();
  if (!au && !bu) return a.get<std::int64_t>() == b.get<std::int64_t>();
  const json& u = au ? a : b;
  const std::int64_t s = (au ? b : a).get<std::int64_t>();
  return s >= 0 && static_cast<std::uint64_t>(s) == u.get<std::uint64_t>();
}

// The JSON object or array that `s` holds, if it holds one (strictly: nothing but whitespace around it).
std::optional<json> parse_container(const std::string& s) {
  const std::size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (s[first] != '{' && s[first] != '[')) return std::nullopt;
  auto j = parse_exact(s);
  if (!j || (!j->is_object() && !j->is_array())) return std::nullopt;
  return j;
}

class differ {
public:
  explicit differ(const diff_options& o) : m_options(o) {}

  std::vector<difference> run(const json& expected, const json& actual) {
    m_tasks.push_back(visit{&expected, &actual, step::root, nullptr, 0});
    while (!m_tasks.empty()) {
      const task t = m_tasks.back();
      m_tasks.pop_back();
      if (const auto* l = std::get_if<leave>(&t)) {
        if (l->pop_segment) m_segments.pop_back();
        m_display.resize(l->display_length);
      } else {
        enter(std::get<visit>(t));
      }
    }
    return std::move(m_differences);
  }

private:
  enum class step { root, key, index, parsed };
  struct visit {
    const json* expected; // nullptr: added
    const json* actual;   // nullptr: removed
    step how;
    const std::string* key;
    std::size_t index;
  };
  struct leave {
    std::size_t display_length;
    bool pop_segment;
  };
  using task = std::variant<visit, leave>;

  void enter(const visit& v) {
    const std::size_t display_length = m_display.size();
    bool segment = false;
    switch (v.how) {
    case step::root: m_display += '$'; break; // m_display is empty before the root
    case step::key:
      m_segments.push_back(*v.key);
      append_key(m_display, *v.key);
      segment = true;
      break;
    case step::index:
      m_segments.push_back(std::to_string(v.index));
      append_index(m_display, v.index);
      segment = true;
      break;
    case step::parsed: m_display += "<json>"; break;
    }
    // Restores the path once the children pushed after it have been visited.
    m_tasks.push_back(leave{display_length, segment});
    if (!ignored()) compare(v.expected, v.actual);
  }

  bool ignored() const {
    for (const path_pattern& p : m_options.ignore)
      if (p.matches(m_segments)) return true;
    return false;
  }

  void report(difference::kind k, const json* expected, const json* actual) {
    difference d;
    d.what = k;
    d.path = m_display;
    if (expected) d.expected = *expected;
    if (actual) d.actual = *actual;
    m_differences.push_back(std::move(d));
  }

  void compare(const json* e, const json* a) {
    if (!e) return report(difference::kind::added, nullptr, a);
    if (!a) return report(difference::kind::removed, e, nullptr);
    if (type_of(*e) != type_of(*a)) return report(difference::kind::type_changed, e, a);
    switch (type_of(*e)) {
    case json_type::null:
    case json_type::discarded: return;
    case json_type::number:
      if (!numbers_equal(*e, *a)) report(difference::kind::changed, e, a);
      return;
    case json_type::boolean:
    case json_type::binary:
      if (*e != *a) report(difference::kind::changed, e, a);
      return;
    case json_type::string: return compare_strings(e, a);
    case json_type::object: return compare_objects(*e, *a);
    case json_type::array: return compare_arrays(*e, *a);
    }
  }

  void compare_strings(const json* e, const json* a) {
    const auto& es = e->get_ref<const std::string&>();
    const auto& as = a->get_ref<const std::string&>();
    if (es == as) return;
    if (m_options.json_in_strings) {
      if (auto pe = parse_container(es)) {
        if (auto pa = parse_container(as)) {
          m_parsed.push_back(std::move(*pe));
          const json* pe_ptr = &m_parsed.back();
          m_parsed.push_back(std::move(*pa));
          m_tasks.push_back(visit{pe_ptr, &m_parsed.back(), step::parsed, nullptr, 0});
          return;
        }
      }
    }
    report(difference::kind::changed, e, a);
  }

  // Children are pushed last first, so that they are visited in order: sorted keys (nlohmann::json's objects
  // are sorted maps), keys on one side only among them.
  void compare_objects(const json& e, const json& a) {
    const auto& eo = e.get_ref<const json::object_t&>();
    const auto& ao = a.get_ref<const json::object_t&>();
    auto ei = eo.rbegin();
    auto ai = ao.rbegin();
    while (ei != eo.rend() || ai != ao.rend()) {
      if (ai == ao.rend() || (ei != eo.rend() && ei->first > ai->first)) {
        m_tasks.push_back(visit{&ei->second, nullptr, step::key, &ei->first, 0});
        ++ei;
      } else if (ei == eo.rend() || ai->first > ei->first) {
        m_tasks.push_back(visit{nullptr, &ai->second, step::key, &ai->first, 0});
        ++ai;
      } else {
        m_tasks.push_back(visit{&ei->second, &ai->second, step::key, &ei->first, 0});
        ++ei;
        ++ai;
      }
    }
  }

  void compare_arrays(const json& e, const json& a) {
    for (std::size_t i = std::max(e.size(), a.size()); i-- > 0;) {
      const json* ev = i < e.size() ? &e[i] : nullptr;
      const json* av = i < a.size() ? &a[i] : nullptr;
      m_tasks.push_back(visit{ev, av, step::index, nullptr, i});
    }
  }

  const diff_options& m_options;
  std::vector<task> m_tasks;
  std::vector<std::string> m_segments; // of the node being visited, for the ignore patterns
  std::string m_display;               // of the node being visited
  std::deque<json> m_parsed;           // JSON held in strings (stable addresses)
  std::vector<difference> m_differences;
};

// Compact JSON of a value, at most about `value_width` bytes: containers are written only as far as needed.
class value_writer {
public:
  std::string write(const json& j) {
    value(j);
    if (m_cut || m_out.size() > value_width) {
      m_out.resize(util::utf8_prefix(m_out, value_width).size());
      m_out.append(ellipsis);
    }
    return std::move(m_out);
  }

private:
  bool full() const { return m_cut || m_out.size() > value_width; }

  void value(const json& j) {
    if (full()) return;
    if (j.is_object()) {
      m_out += '{';
      bool first = true;
      for (const auto& [k, v] : j.get_ref<const json::object_t&>()) {
        if (full()) return;
        if (!first) m_out += ',';
        first = false;
        string(k);
        m_out += ':';
        value(v);
      }
      m_out += '}';
    } else if (j.is_array()) {
      m_out += '[';
      bool first = true;
      for (const json& v : j) {
        if (full()) return;
        if (!first) m_out += ',';
        first = false;
        value(v);
      }
      m_out += ']';
    } else if (j.is_string()) {
      string(j.get_ref<const std::string&>());
    } else if (is_big_integer(j)) {
      m_out += big_integer_digits(j);
    } else {
      m_out += j.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }

  void string(const std::string& s) {
    if (s.size() <= value_width) {
      m_out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    std::string text = json(std::string(util::utf8_prefix(s, value_width))).dump(-1, ' ', false, json::error_handler_t::replace);
    text.pop_back(); // the closing quote: the string goes on
    m_out += text;
    m_cut = true;
  }

  std::string m_out;
  bool m_cut = false;
};

constexpr std::string_view bold = "\x1b[1m";
constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view green = "\x1b[32m";
constexpr std::string_view reset = "\x1b[0m";

void value_line(std::string& out, bool color, std::string_view colour, char sign, const json& v) {
  out += "    ";
  if (color) out.append(colour);
  out += sign;
  out += ' ';
  out += value_writer().write(v);
  if (color) out.append(reset);
  out += '\n';
}

} // namespace

const char* to_string(difference::kind k) {
  switch (k) {
  case difference::kind::changed: return "changed";
  case difference::kind::added: return "added";
  case difference::kind::removed: return "removed";
  case difference::kind::type_changed: return "type_changed";
  }
  return "?";
}

std::vector<difference> diff(const nlohmann::json& expected, const nlohmann::json& actual,
                             const diff_options& o) {
  return differ(o).run(expected, actual);
}

std::string render(const std::vector<difference>& d, bool color, std::size_t max_lines) {
  std::string out;
  std::size_t lines = 0;
  std::size_t shown = 0;
  for (; shown < d.size(); ++shown) {
    const difference& x = d[shown];
    const std::size_t block = 1 + (x.expected ? 1 : 0) + (x.actual ? 1 : 0);
    if (lines + block > max_lines) break;
    lines += block;
    out += "  ";
    if (color) out.append(bold);
    out += x.path;
    if (color) out.append(reset);
    out += ": ";
    if (x.what == difference::kind::type_changed) {
      out += "type changed";
      if (x.expected && x.actual) {
        out += " (";
        out += type_name(*x.expected);
        out += " \xE2\x86\x92 "; // →
        out += type_name(*x.actual);
        out += ')';
      }
    } else {
      out += to_string(x.what);
    }
    out += '\n';
    if (x.expected) value_line(out, color, red, '-', *x.expected);
    if (x.actual) value_line(out, color, green, '+', *x.actual);
  }
  if (const std::size_t more = d.size() - shown; more > 0) {
    out += "  ";
    out.append(ellipsis);
    out += ' ';
    out += std::to_string(more);
    out += more == 1 ? " more difference\n" : " more differences\n";
  }
  return out;
}

} // namespace lemu::compare
