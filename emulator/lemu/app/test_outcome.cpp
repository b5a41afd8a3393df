#include <lemu/app/test_outcome.hpp>

#include <lemu/stats/summary.hpp>

#include <filesystem>
#include <stdexcept>

namespace lemu::app {

report::test_case to_test_case(const stats::invocation_record& rec, const std::string& name, bool replay,
                               bool mismatch, const std::vector<compare::difference>& diffs,
                               const std::string& outcome_line) {
  report::test_case c;
  c.name = name;
  // Appended piece by piece: GCC 12 at -O3 warns -Wrestrict (a false positive) on "literal" + std::string&&.
  c.classname = replay ? "lemu.replay." : "lemu.run.";
  c.classname += std::filesystem::path(rec.source == "-" ? "stdin" : rec.source).stem().string();
  c.time_s = (rec.duration_ms + rec.init_ms.value_or(0.0)) / 1000.0;
  if (mismatch && !diffs.empty()) {
    c.status = report::test_case::result::failed;
    c.message = "the outcome differs from the capture at " + diffs.front().path;
    c.details = compare::render(diffs, false);
  } else if (mismatch || (!replay && rec.status != stats::status::success)) {
    c.status = report::test_case::result::error;
    c.message = rec.error_type.empty() ? stats::to_string(rec.status) : rec.error_type;
    c.details = outcome_line;
  } else {
    c.status = report::test_case::result::passed;
  }
  return c;
}

nlohmann::ordered_json json_record(const stats::invocation_record& rec, const report::test_case& c) {
  nlohmann::ordered_json j = stats::to_json(rec);
  j["name"] = c.name;
  j["test"] = {{"classname", c.classname},
               {"time_s", c.time_s},
               {"result", report::to_string(c.status)},
               {"message", c.message},
               {"details", c.details}};
  return j;
}

namespace {

stats::status status_named(const std::string& s) {
  for (const auto st : {stats::status::success, stats::status::error, stats::status::timeout, stats::status::crash}) {
    if (s == stats::to_string(st)) return st;
  }
  throw std::invalid_argument("unknown status '" + s + "'");
}

report::test_case::result result_named(const std::string& s) {
  using r = report::test_case::result;
  for (const auto res : {r::passed, r::failed, r::error}) {
    if (s == report::to_string(res)) return res;
  }
  throw std::invalid_argument("unknown test result '" + s + "'");
}

template <typename T> T value_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? fallback : it->get<T>();
}

} // namespace

parsed_record parse_json_record(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("status") || !j.contains("duration_ms")) {
    throw std::invalid_argument("not a lemu --json record (no status or duration_ms)");
  }
  parsed_record p;
  stats::invocation_record& r = p.record;
  try {
    r.index = value_or<std::size_t>(j, "index", 0);
    r.source = value_or<std::string>(j, "source", "");
    r.line = value_or<std::size_t>(j, "line", 0);
    r.request_id = value_or<std::string>(j, "request_id", "");
    r.environment_id = value_or<std::uint32_t>(j, "environment_id", 1);
    r.tenant_id = value_or<std::string>(j, "tenant_id", "");
    r.cold = value_or<bool>(j, "cold", false);
    if (j.contains("init_ms") && !j["init_ms"].is_null()) r.init_ms = j["init_ms"].get<double>();
    r.start_ms = value_or<double>(j, "start_ms", 0);
    r.duration_ms = j["duration_ms"].get<double>();
    r.billed_ms = value_or<std::uint64_t>(j, "billed_ms", 0);
    r.memory_size_mb = value_or<std::uint32_t>(j, "memory_size_mb", 128);
    r.max_memory_used_mb = value_or<std::uint32_t>(j, "max_memory_used_mb", 0);
    r.status = status_named(j["status"].get<std::string>());
    r.error_type = value_or<std::string>(j, "error_type", "");
    if (const auto sqs = j.find("sqs_batch"); sqs != j.end() && sqs->is_object()) {
      stats::sqs_batch b;
      b.messages = value_or<std::size_t>(*sqs, "messages", 0);
      b.failed = value_or<std::vector<std::string>>(*sqs, "failed", {});
      b.whole_batch_reason = value_or<std::string>(*sqs, "whole_batch_reason", "");
      r.sqs = std::move(b);
    }
    report::test_case& c = p.test;
    std::string where = r.source;
    if (r.line) {
      where += ':';
      where += std::to_string(r.line);
    }
    c.name = value_or<std::string>(j, "name", where);
    if (const auto t = j.find("test"); t != j.end() && t->is_object()) {
      c.classname = value_or<std::string>(*t, "classname", "lemu");
      c.time_s = value_or<double>(*t, "time_s", 0);
      c.status = result_named(value_or<std::string>(*t, "result", "passed"));
      c.message = value_or<std::string>(*t, "message", "");
      c.details = value_or<std::string>(*t, "details", "");
    } else {
      c = to_test_case(r, c.name, false, false, {}, "");
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("not a lemu --json record: ") + e.what());
  }
  return p;
}

// The last line of a replay: how many outcomes match, and why the summary's failures do not make it fail.
std::string replay_verdict(std::size_t outcomes, std::size_t mismatches, std::size_t recorded_failures) {
  const std::string of = " of " + std::to_string(outcomes);
  std::string why;
  if (recorded_failures > 0) {
    why = std::to_string(recorded_failures) + (recorded_failures == 1 ? " is a recorded failure" : " are recorded failures") +
          " that failed the same way: counted as failed above, and a match";
  }
  if (mismatches == 0) return "lemu: replay: " + std::to_string(outcomes) + of + " outcomes match" + (why.empty() ? "" : " (" + why + ")");
  return "lemu: replay: " + std::to_string(mismatches) + of + " outcomes differ from the capture (" +
         std::to_string(outcomes - mismatches) + " match" + (why.empty() ? "" : "; " + why) + "): exit 1";
}

} // namespace lemu::app
