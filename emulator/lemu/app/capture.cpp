#include <lemu/app/capture.hpp>

#include <lemu/app/output.hpp>
#include <lemu/compare/exact_json.hpp>
#include <lemu/core/tenant.hpp>
#include <lemu/events/checksums.hpp>
#include <lemu/util/json_text.hpp>

#include <simdjson.h>
#include <lemu/util/time.hpp>

#include <chrono>
#include <ctime>
#include <set>
#include <stdexcept>

namespace lemu::app {

namespace {

using json = nlohmann::json;
namespace od = simdjson::ondemand;

std::string_view trim_json_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// The text of a value as written in the line.
std::string raw_text(od::value v) {
  od::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) throw std::invalid_argument("not a capture record: unreadable value");
  std::string_view raw;
  simdjson::error_code ec = simdjson::SUCCESS;
  if (type == od::json_type::object) {
    od::object o;
    ec = v.get_object().get(o);
    if (!ec) ec = o.raw_json().get(raw);
  } else if (type == od::json_type::array) {
    od::array a;
    ec = v.get_array().get(a);
    if (!ec) ec = a.raw_json().get(raw);
  } else {
    raw = v.raw_json_token();
  }
  if (ec) throw std::invalid_argument("not a capture record: unreadable value");
  return util::minify_json(trim_json_space(raw));
}

// JSON text for an event payload: the payload itself (compact) when it is JSON, else a JSON string.
std::string json_text_of(std::string_view payload) {
  if (util::is_valid_json(payload)) return util::minify_json(payload);
  return json(std::string(payload)).dump(-1, ' ', false, json::error_handler_t::replace);
}

void normalize_string(std::string& s) {
  static constexpr std::string_view prefix = "RequestId: ";
  static constexpr std::string_view placeholder = "<request-id>";
  constexpr std::size_t uuid_length = 36;
  const auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  const auto is_alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto is_uuid_at = [&](std::size_t at) {
    if (s.size() - at < uuid_length) return false;
    for (std::size_t i = 0; i < uuid_length; ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? s[at + i] != '-' : !is_hex(s[at + i])) return false;
    }
    return at + uuid_length == s.size() || !is_alnum(s[at + uuid_length]);
  };
  std::size_t found = s.find(prefix);
  if (found == std::string::npos) return;
  std::string out;
  std::size_t copied = 0;
  for (; found != std::string::npos; found = s.find(prefix, found + prefix.size())) {
    const std::size_t at = found + prefix.size();
    if (!is_uuid_at(at)) continue;
    out.append(s, copied, at - copied);
    out.append(placeholder);
    copied = at + uuid_length;
  }
  if (copied == 0) return;
  out.append(s, copied, std::string::npos);
  s = std::move(out);
}

// {"name":...,"source":...,"time":...,"status":...,"duration_ms":...} over `base` (the line's own meta).
std::string meta_text(nlohmann::ordered_json base, const capture_meta& m, bool base64) {
  if (!m.name.empty()) base["name"] = m.name;
  if (!m.source.empty()) base["source"] = m.source;
  base["time"] = m.time;
  base["status"] = m.status;
  base["duration_ms"] = m.duration_ms;
  if (!m.tenant_id.empty()) base["tenant_id"] = m.tenant_id;
  if (base64) {
    base["encoding"] = "base64";
  } else {
    base.erase("encoding");
  }
  return base.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string line_of(const std::string& event, const stored_value& v, bool ok, const std::string& meta) {
  std::string line;
  line.reserve(event.size() + v.text.size() + meta.size() + 40);
  line += "{\"event\":";
  line += event;
  line += ok ? ",\"response\":" : ",\"error\":";
  line += v.text;
  line += ",\"meta\":";
  line += meta;
  line += '}';
  return line;
}

} // namespace

capture_entry parse_capture_line(std::string_view line) {
  thread_local od::parser parser;
  const simdjson::padded_string padded(line);
  od::document doc;
  od::object top;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS || doc.get_object().get(top) != simdjson::SUCCESS) {
    throw std::invalid_argument("not a capture record (a JSON object with \"event\")");
  }
  capture_entry e;
  std::set<std::string> seen;
  bool has_event = false;
  for (auto field : top) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) throw std::invalid_argument("not a capture record: unreadable key");
    const std::string k(key);
    if (!seen.insert(k).second) throw std::invalid_argument("not a capture record: \"" + k + "\" appears twice");
    od::value value;
    if (field.value().get(value) != simdjson::SUCCESS) throw std::invalid_argument("not a capture record: unreadable value");
    if (k == "event") {
      e.event = raw_text(value);
      has_event = true;
    } else if (k == "response" || k == "error") {
      if (!e.side.empty()) throw std::invalid_argument("not a capture record: both \"response\" and \"error\"");
      e.side = k;
      e.expected = raw_text(value);
    } else if (k == "meta") {
      e.meta = raw_text(value);
      if (e.meta.empty() || e.meta.front() != '{') throw std::invalid_argument("not a capture record: \"meta\" is not an object");
    } else {
      throw std::invalid_argument("not a capture record: unknown key \"" + k + "\" (allowed: event, response, error, meta)");
    }
  }
  if (!has_event) throw std::invalid_argument("not a capture record: no \"event\"");
  if (!e.meta.empty()) {
    const auto meta = json::parse(e.meta, nullptr, false);
    if (const auto name = meta.find("name"); name != meta.end() && name->is_string()) e.name = name->get<std::string>();
    if (const auto tenant = meta.find("tenant_id"); tenant != meta.end()) {
      const std::string problem = tenant->is_string() ? core::tenant_id_problem(tenant->get<std::string>())
                                                      : std::string("not a string");
      if (!problem.empty()) throw std::invalid_argument("not a capture record: meta.tenant_id: " + problem);
      e.tenant_id = tenant->get<std::string>();
    }
    if (const auto enc = meta.find("encoding"); enc != meta.end()) {
      if (*enc != "base64") throw std::invalid_argument("not a capture record: meta.encoding must be \"base64\"");
      if (e.side.empty() || e.expected.empty() || e.expected.front() != '"') {
        throw std::invalid_argument("not a capture record: meta.encoding \"base64\" needs a response or error string");
      }
      e.expected_base64 = true;
    }
  }
  return e;
}

stored_value stored_value_of(const core::outcome& o) {
  const std::string& p = o.payload;
  if (util::is_valid_json(p)) return {format_outcome(o), false};
  if (simdjson::validate_utf8(p.data(), p.size())) return {json(p).dump(), false};
  return {json(events::base64_encode(p)).dump(), true};
}

std::string capture_line(std::string_view event_payload, const core::outcome& o, const capture_meta& meta) {
  const stored_value v = stored_value_of(o);
  return line_of(json_text_of(event_payload), v, o.ok(), meta_text(nlohmann::ordered_json::object(), meta, v.base64));
}

std::string updated_capture_line(const capture_entry& e, const core::outcome& o, const capture_meta& meta) {
  auto base = e.meta.empty() ? nlohmann::ordered_json::object() : nlohmann::ordered_json::parse(e.meta, nullptr, false);
  if (!base.is_object()) base = nlohmann::ordered_json::object();
  const stored_value v = stored_value_of(o);
  capture_meta m = meta;
  m.name.clear(); // kept as the line has it
  m.source.clear();
  return line_of(e.event, v, o.ok(), meta_text(std::move(base), m, v.base64));
}

std::vector<compare::difference> compare_outcome(const capture_entry& recorded, const core::outcome& actual,
                                                 const compare::diff_options& options) {
  const auto value = [](const std::string& text) { return compare::parse_exact(text).value_or(json(text)); };
  const stored_value now = stored_value_of(actual);
  const json expected_root = normalize_request_ids(json{{recorded.side, value(recorded.expected)}});
  const json actual_root = normalize_request_ids(json{{actual.ok() ? "response" : "error", value(now.text)}});
  return compare::diff(expected_root, actual_root, options);
}

json normalize_request_ids(json v) {
  std::vector<json*> pending{&v};
  while (!pending.empty()) {
    json* j = pending.back();
    pending.pop_back();
    if (j->is_string()) {
      normalize_string(j->get_ref<std::string&>());
    } else if (j->is_object() || j->is_array()) {
      for (auto it = j->begin(); it != j->end(); ++it) pending.push_back(&*it);
    }
  }
  return v;
}

std::string iso8601_now() { return util::iso8601_ms(util::epoch_ms()); }

} // namespace lemu::app
