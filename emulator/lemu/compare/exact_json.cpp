#include <lemu/compare/exact_json.hpp>

#include <lemu/util/json_text.hpp>

namespace lemu::compare {

namespace {

using json = nlohmann::json;

// nlohmann's DOM builder, with integers beyond 64 bits kept as digits and a depth limit.
class exact_builder {
public:
  explicit exact_builder(json& root) : m_dom(root, false) {}

  bool null() { return m_dom.null(); }
  bool boolean(bool b) { return m_dom.boolean(b); }
  bool number_integer(json::number_integer_t v) { return m_dom.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return m_dom.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& text) {
    if (is_integer_literal(text)) {
      json::binary_t digits(std::vector<std::uint8_t>(text.begin(), text.end()), big_integer_subtype);
      return m_dom.binary(digits);
    }
    return m_dom.number_float(v, text);
  }
  bool string(json::string_t& s) { return m_dom.string(s); }
  bool binary(json::binary_t& b) { return m_dom.binary(b); }
  bool key(json::string_t& k) { return m_dom.key(k); }
  bool start_object(std::size_t n) { return ++m_depth <= util::max_json_depth && m_dom.start_object(n); }
  bool start_array(std::size_t n) { return ++m_depth <= util::max_json_depth && m_dom.start_array(n); }
  bool end_object() {
    --m_depth;
    return m_dom.end_object();
  }
  bool end_array() {
    --m_depth;
    return m_dom.end_array();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
  static bool is_integer_literal(const std::string& s) {
    std::size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<json> m_dom;
  std::size_t m_depth = 0;
};

} // namespace

std::optional<json> parse_exact(std::string_view text) {
  json root;
  exact_builder builder(root);
  if (!json::sax_parse(text.data(), text.data() + text.size(), &builder)) return std::nullopt;
  return root;
}

bool is_big_integer(const json& j) {
  return j.is_binary() && j.get_binary().has_subtype() && j.get_binary().subtype() == big_integer_subtype;
}

std::string big_integer_digits(const json& j) {
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

} // namespace lemu::compare
