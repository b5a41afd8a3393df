// Capture lines: the schema enforced on read, exact values (big integers, non-UTF-8 payloads), --update
// rewrites, and the comparison of a new outcome with a recorded one.
#include <lemu/app/capture.hpp>

#include <lemu/compare/json_diff.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using lemu::app::capture_entry;
using lemu::app::capture_line;
using lemu::app::capture_meta;
using lemu::app::compare_outcome;
using lemu::app::normalize_request_ids;
using lemu::app::parse_capture_line;
using lemu::app::updated_capture_line;
using lemu::compare::diff;
using lemu::core::outcome;
using lemu::core::outcome_kind;
using json = nlohmann::json;

namespace {

outcome success(std::string payload) { return outcome{outcome_kind::success, std::move(payload), "application/json", {}}; }

std::string refusal(const std::string& line) {
  try {
    (void)parse_capture_line(line);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

} // namespace


TEST(normalize_request_ids, replaces_uuids_after_request_id_in_every_string) {
  const json v = {
      {"errorMessage",
       "RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b Error: Runtime exited with error: exit status 1"},
      {"errorType", "Runtime.ExitError"},
      {"nested",
       {"x", "a RequestId: 8F5C2A4E-1B3D-4E6F-9A0B-1C2D3E4F5A6B and RequestId: 00000000-0000-0000-0000-000000000000"}},
      {"RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b", 1},
      {"n", 5}};
  const json expected = {{"errorMessage", "RequestId: <request-id> Error: Runtime exited with error: exit status 1"},
                         {"errorType", "Runtime.ExitError"},
                         {"nested", {"x", "a RequestId: <request-id> and RequestId: <request-id>"}},
                         {"RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b", 1}, // keys stay
                         {"n", 5}};
  EXPECT_EQ(normalize_request_ids(v), expected);
}

TEST(normalize_request_ids, leaves_what_is_not_a_uuid) {
  for (const char* s : {"RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6",   // too short
                        "RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6bc", // goes on
                        "RequestId: 8f5c2a4e_1b3d-4e6f-9a0b-1c2d3e4f5a6b",
                        "RequestId: 8g5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b",
                        "RequestId:8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b",
                        "requestid: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b",
                        "RequestId: ", "RequestId", ""})
    EXPECT_EQ(normalize_request_ids(json(s)), json(s)) << s;
  EXPECT_EQ(normalize_request_ids(json("RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b.")),
            json("RequestId: <request-id>."));
  EXPECT_EQ(normalize_request_ids(json("RequestId: RequestId: 8f5c2a4e-1b3d-4e6f-9a0b-1c2d3e4f5a6b")),
            json("RequestId: RequestId: <request-id>"));
  EXPECT_EQ(normalize_request_ids(json(42)), json(42));
}

TEST(normalize_request_ids, makes_runs_comparable_also_in_json_in_strings) {
  const json e = {{"body", R"({"message":"RequestId: 11111111-2222-3333-4444-555555555555 Error"})"}};
  const json a = {{"body", R"({"message":"RequestId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee Error"})"}};
  EXPECT_EQ(diff(e, a).size(), 1u);
  EXPECT_TRUE(diff(normalize_request_ids(e), normalize_request_ids(a)).empty());
}

// ----------------------------------------------------------------------------------------------- the schema

TEST(parse_capture_line, reads_every_part_as_written) {
  const capture_entry e = parse_capture_line(
      R"({"event": {"b": 1, "a": [1, 2]}, "response": {"ok": true}, "meta": {"name": "first", "source": "x.json"}})");
  EXPECT_EQ(e.event, R"({"b":1,"a":[1,2]})"); // compact, key order kept
  EXPECT_EQ(e.side, "response");
  EXPECT_EQ(e.expected, R"({"ok":true})");
  EXPECT_EQ(e.name, "first");
  EXPECT_FALSE(e.expected_base64);
  const capture_entry bare = parse_capture_line(R"({"event": 42})");
  EXPECT_EQ(bare.event, "42");
  EXPECT_TRUE(bare.side.empty());
  EXPECT_TRUE(bare.meta.empty());
}

TEST(parse_capture_line, refuses_what_the_schema_does_not_allow) {
  EXPECT_EQ(refusal("[1]"), R"(not a capture record (a JSON object with "event"))");
  EXPECT_EQ(refusal(R"({"response": 1})"), R"(not a capture record: no "event")");
  EXPECT_EQ(refusal(R"({"event": 1, "response": 1, "error": 2})"), R"(not a capture record: both "response" and "error")");
  EXPECT_EQ(refusal(R"({"event": 1, "extra": 2})"),
            R"(not a capture record: unknown key "extra" (allowed: event, response, error, meta))");
  EXPECT_EQ(refusal(R"({"event": 1, "meta": "x"})"), R"(not a capture record: "meta" is not an object)");
  EXPECT_EQ(refusal(R"({"event": 1, "event": 2})"), R"(not a capture record: "event" appears twice)");
  EXPECT_EQ(refusal(R"({"event": 1, "response": "x", "meta": {"encoding": "hex"}})"),
            R"(not a capture record: meta.encoding must be "base64")");
}

// ------------------------------------------------------------------------------------------- exact values

TEST(capture, an_integer_beyond_64_bits_reaches_the_function_and_the_comparison_as_written) {
  const std::string big = "18446744073709551617"; // 2^64 + 1: a double would make it 2^64
  const capture_entry e = parse_capture_line(R"({"event": {"id": )" + big + R"(}, "response": {"id": )" + big + "}}");
  EXPECT_EQ(e.event, R"({"id":)" + big + "}");
  EXPECT_TRUE(compare_outcome(e, success(R"({"id":)" + big + "}"), {}).empty());
  const auto d = compare_outcome(e, success(R"({"id":18446744073709551616})"), {});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "$.response.id");
  EXPECT_NE(lemu::compare::render(d, false).find("18446744073709551617"), std::string::npos);
}

TEST(capture, a_payload_that_is_not_utf8_is_stored_as_base64_and_compared_byte_for_byte) {
  const capture_meta meta{"n", "s", "2026-12-01T00:00:00.000Z", "success", 1.0, {}};
  const std::string bytes = "\xff\xfe binary \x80";
  const std::string line = capture_line(R"({"a":1})", success(bytes), meta);
  EXPECT_NE(line.find(R"("encoding":"base64")"), std::string::npos) << line;
  const capture_entry e = parse_capture_line(line);
  EXPECT_TRUE(e.expected_base64);
  EXPECT_TRUE(compare_outcome(e, success(bytes), {}).empty());
  EXPECT_EQ(compare_outcome(e, success("\xff\xfe binary \x81"), {}).size(), 1u); // one byte differs
}

TEST(capture, text_that_is_not_json_is_a_json_string) {
  const std::string line = capture_line("{}", success("plain text"), capture_meta{});
  const capture_entry e = parse_capture_line(line);
  EXPECT_EQ(e.expected, R"("plain text")");
  EXPECT_FALSE(e.expected_base64);
}

TEST(capture, update_keeps_the_event_and_the_meta_the_line_had) {
  const capture_entry e = parse_capture_line(
      R"({"event": {"n": 18446744073709551617}, "response": 1, "meta": {"name": "kept", "owner": "team-a", "time": "old"}})");
  const std::string line = updated_capture_line(e, success("2"), capture_meta{{}, {}, "new", "success", 3.5, {}});
  const json j = json::parse(line);
  EXPECT_EQ(line.substr(0, 41), R"({"event":{"n":18446744073709551617},"resp)");
  EXPECT_EQ(j["response"], 2);
  EXPECT_EQ(j["meta"]["name"], "kept");
  EXPECT_EQ(j["meta"]["owner"], "team-a");
  EXPECT_EQ(j["meta"]["time"], "new");
  EXPECT_EQ(j["meta"]["duration_ms"], 3.5);
}

TEST(parse_capture_line, reads_and_checks_the_tenant) {
  EXPECT_EQ(parse_capture_line(R"({"event": 1, "meta": {"tenant_id": "blue"}})").tenant_id, "blue");
  EXPECT_EQ(parse_capture_line(R"({"event": 1})").tenant_id, "");
  EXPECT_EQ(refusal(R"({"event": 1, "meta": {"tenant_id": "a!"}})"),
            R"(not a capture record: meta.tenant_id: Member must satisfy regular expression pattern: [a-zA-Z0-9\._:\/=+\-@ ]+)");
  EXPECT_EQ(refusal(R"({"event": 1, "meta": {"tenant_id": 7}})"), "not a capture record: meta.tenant_id: not a string");
}

TEST(capture_line, writes_the_tenant_and_update_keeps_it) {
  const outcome ok = success(R"({"ok":1})");
  const capture_meta meta{"n", "s", "2026-12-01T00:00:00.000Z", "success", 1.0, "blue"};
  const std::string line = capture_line(R"({"a":1})", ok, meta);
  EXPECT_EQ(json::parse(line).at("meta").at("tenant_id"), "blue") << line;
  const capture_entry e = parse_capture_line(line);
  EXPECT_EQ(e.tenant_id, "blue");
  const std::string updated = updated_capture_line(e, ok, capture_meta{{}, {}, "2026-12-02T00:00:00.000Z", "success", 2.0, {}});
  EXPECT_EQ(parse_capture_line(updated).tenant_id, "blue");
  const capture_meta untenanted{"n", "s", "2026-12-01T00:00:00.000Z", "success", 1.0, {}};
  EXPECT_EQ(capture_line("{}", ok, untenanted).find("tenant_id"), std::string::npos);
}
