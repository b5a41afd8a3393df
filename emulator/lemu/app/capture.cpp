#include <lemu/app/capture.hpp>

#include <lemu/app/output.hpp>
#include <lemu/util/time.hpp>

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace lemu::app {

capture_entry parse_capture_line(std::string_view line) {
  capture_entry e;
  e.line = nlohmann::ordered_json::parse(line, nullptr, false);
  if (!e.line.is_object()) throw std::invalid_argument("not a capture record (a JSON object with \"event\")");
  const auto event = e.line.find("event");
  if (event == e.line.end()) throw std::invalid_argument("not a capture record: no \"event\"");
  e.payload = event->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (const auto meta = e.line.find("meta"); meta != e.line.end() && meta->is_object()) {
    if (const auto name = meta->find("name"); name != meta->end() && name->is_string()) e.name = name->get<std::string>();
  }
  if (const auto r = e.line.find("response"); r != e.line.end()) {
    e.expected = nlohmann::ordered_json{{"response", *r}};
  } else if (const auto err = e.line.find("error"); err != e.line.end()) {
    e.expected = nlohmann::ordered_json{{"error", *err}};
  }
  return e;
}

nlohmann::ordered_json outcome_value(const core::outcome& o) {
  return nlohmann::ordered_json::parse(outcome_line(o)); // outcome_line is always one JSON value
}

std::string capture_line(std::string_view event_payload, const core::outcome& o, const capture_meta& meta) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["event"] = nlohmann::ordered_json::parse(event_payload, nullptr, false);
  if (line["event"].is_discarded()) line["event"] = std::string(event_payload);
  line[o.ok() ? "response" : "error"] = outcome_value(o);
  nlohmann::ordered_json m = nlohmann::ordered_json::object();
  if (!meta.name.empty()) m["name"] = meta.name;
  m["source"] = meta.source;
  m["time"] = meta.time;
  m["status"] = meta.status;
  m["duration_ms"] = meta.duration_ms;
  line["meta"] = std::move(m);
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<compare::difference> compare_outcome(const nlohmann::ordered_json& expected, const core::outcome& actual,
                                                 const compare::diff_options& options) {
  const nlohmann::json recorded = compare::normalize_request_ids(nlohmann::json(expected));
  const nlohmann::json now = compare::normalize_request_ids(
      nlohmann::json{{actual.ok() ? "response" : "error", nlohmann::json(outcome_value(actual))}});
  return compare::diff(recorded, now, options);
}

std::string iso8601_now() { return util::iso8601_ms(util::epoch_ms()); }

} // namespace lemu::app
