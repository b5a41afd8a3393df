#pragma once
// Requests and doors shared by the front door's tests (test_front_door, test_routes, test_request_event*,
// test_proxy_response).
#include <lemu/gateway/front_door.hpp>

#include <lemu_test_paths.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::gateway::fixtures {

using json = nlohmann::ordered_json;

inline constexpr std::int64_t now_ms = 1732606401000; // 2024-11-26T07:33:21Z
inline constexpr const char* now_clf = "26/Nov/2024:07:33:21 +0000";
inline constexpr const char* internal_error_body = R"({"message":"Internal server error"})";

inline std::string error_of_route(std::string_view text) {
  try {
    parse_route(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::string error_of_door(front_door_options o) {
  try {
    front_door door(std::move(o));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

inline front_door door_of(api_kind kind, const std::vector<std::string>& routes = {}, std::string stage = {}) {
  front_door_options o;
  o.kind = kind;
  for (const std::string& r : routes) o.routes.push_back(parse_route(r));
  o.stage = std::move(stage);
  return front_door(std::move(o));
}

inline std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.push_back(it.key());
  return out;
}

inline std::string all_bytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
  return out;
}

// GET /items/42?a=1&a=2&b=%20x from curl through localhost:9000, with a repeated header, two Cookie headers and
// credentials.
inline http_request get_item() {
  http_request r;
  r.method = "GET";
  r.target = "/items/42?a=1&a=2&b=%20x";
  r.headers = {{"Host", "localhost:9000"}, {"User-Agent", "curl/8.1.2"},
               {"Accept", "*/*"},          {"X-Tag", "one"},
               {"x-tag", "two"},           {"Cookie", "session=abc; theme=dark"},
               {"Cookie", "lang=en"},      {"Authorization", "Bearer t0ken"}};
  r.source_ip = "127.0.0.1";
  return r;
}

inline http_request post_json() {
  http_request r;
  r.method = "POST";
  r.target = "/orders";
  r.headers = {{"Host", "127.0.0.1:9000"},
               {"User-Agent", "curl/8.1.2"},
               {"Accept", "*/*"},
               {"Content-Type", "application/json"},
               {"Content-Length", "37"}};
  r.body = R"({"orderId":"1042","amount":25.5,"x":1})";
  r.headers[4].second = std::to_string(r.body.size());
  r.source_ip = "192.0.2.10";
  return r;
}

inline http_request post_png() {
  http_request r;
  r.method = "POST";
  r.target = "/upload?name=pixel.png";
  r.headers = {{"Host", "localhost:9000"}, {"User-Agent", "curl/8.1.2"}, {"Content-Type", "image/png"}};
  r.body = all_bytes();
  r.source_ip = "::1";
  return r;
}

// The text of fixtures/events/<relative> (throws when missing).
inline std::string fixture_text(const std::string& relative) {
  std::ifstream in(std::filesystem::path(test::fixtures_dir) / "events" / relative, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + relative);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace lemu::gateway::fixtures
