#pragma once
// The subscription requests of Lambda's Telemetry API (PUT /2022-07-01/telemetry) and Logs API
// (PUT /2020-08-15/logs), PROTOCOL.md §2.2, §2.3, §9.4: what a valid body is, its defaults, and the exact
// answers. Pure functions: no sockets, no state (the hub keeps the subscriptions).
//
// A body is valid when it is one JSON object (lemu's JSON text rules, util/json_text.hpp) with
//   schemaVersion  telemetry "2022-07-01" | "2022-12-13" | "2025-01-29";  logs "2020-08-15" | "2021-03-18"
//   types          a non-empty array of "platform" | "function" | "extension" (repeats allowed, kept as sent)
//   buffering      optional object; each member optional and an integer: maxItems 1000..10000 (default
//                  10000), maxBytes 262144..1048576 (default 262144), timeoutMs 25..30000 (default 1000)
//   destination    {"protocol":"HTTP","URI":"http://HOST:PORT[/path][?query]"} with HOST sandbox.localdomain
//                  (or 127.0.0.1 / localhost, which are the same place for lemu), PORT 1..65535 and
//                  required, no https; or {"protocol":"TCP","port":PORT} (a URI "tcp://HOST:PORT" is taken
//                  when "port" is absent)
// Members not named here are ignored, as a JSON schema without additionalProperties ignores them.
//
// Errors: every problem found, in the order schemaVersion, destination, types, buffering, joined by "; "
// (as Lambda's documented example "URI port is not provided; types should not be empty" joins them), in
//   telemetry  400 {"errorType":"ValidationError","errorMessage":"..."}
//   logs       400 {"errorType":"Logs.ValidationError","errorMessage":"..."}
// Every JSON error body ends with a newline, as Go's json.Encoder writes it (RIE and Lambda's Go server
// render error bodies so); the success body is exactly `"OK"` (4 bytes, no newline: RIE writes the bytes
// `"OK"` as they are).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lemu::telemetry {

enum class api { telemetry, logs };
enum class category { platform, function, extension };

// "telemetry" / "logs", for log lines.
std::string_view to_string(api a);
// "platform" / "function" / "extension".
std::string_view to_string(category c);

// What a subscription PUT is answered with (Content-Type application/json).
struct reply {
  unsigned status = 200;
  std::string body;
};

struct buffering {
  std::size_t max_items = 10000;
  std::size_t max_bytes = 262144;
  std::uint32_t timeout_ms = 1000;
};

struct destination {
  enum class protocol { http, tcp };
  protocol proto = protocol::http;
  std::uint16_t port = 0;
  std::string host_header; // HTTP: the URI's host[:port], sent as Host
  std::string target;      // HTTP: the URI's path and query, "/" when it has none
};

// A validated subscription request.
struct subscription {
  api which = api::telemetry;
  std::string schema_version;
  std::vector<std::string> types;     // as sent (for platform.telemetrySubscription / logsSubscription)
  bool wants[3] = {false, false, false}; // indexed by category
  buffering buffer;
  destination dest;

  bool wants_category(category c) const { return wants[static_cast<int>(c)]; }
};

// Parses and validates a subscription body for `which`: the subscription, or the 400 reply to send.
std::variant<subscription, reply> parse_subscription(api which, std::string_view body);

// The answers, exactly as sent.
namespace replies {
// 200 `"OK"`.
reply ok();
// 400 {"errorType":"ValidationError"|"Logs.ValidationError","errorMessage":message}\n
reply validation_error(api which, std::string_view message);
// After init (RIE's answer): 403 {"errorMessage":"Telemetry API subscription is closed already",
// "errorType":"Telemetry.SubscriptionClosed"}\n, and for logs "Logs API subscription is closed already" /
// "Logs.SubscriptionClosed".
reply subscription_closed(api which);
// An extension subscribed to one API subscribing to the other (Lambda documents only that "the second one
// errors"; lemu's choice): a validation error of the API asked, 400, with the message
// "extension NAME is already subscribed to the Logs API; an extension subscribes with the Telemetry API or
// the Logs API, not both" (or the other way round).
reply both_apis(api which, std::string_view extension_name);
// More extensions than the hub's max_subscribers (Lambda allows 10 extensions, so only a lemu configured
// lower sees it; lemu's choice): 403 {"errorMessage":"Subscriber limit (N) reached","errorType":
// "Telemetry.TooManySubscribers"}\n (or "Logs.TooManySubscribers").
reply too_many_subscribers(api which, std::size_t limit);
} // namespace replies

// The reason Lambda gives in platform.logsDropped (RIE's text, which Lambda's own logs show).
inline constexpr std::string_view logs_dropped_reason =
    "Some logs were dropped because the downstream consumer is slower than the logs production rate";

// {"time":"<ISO 8601 ms UTC>","type":"platform.logsDropped","record":{"droppedBytes":B,"droppedRecords":R,
// "reason":"..."}} at epoch milliseconds `epoch_ms`. The same object for both APIs.
std::string logs_dropped_event(std::int64_t epoch_ms, std::size_t dropped_bytes, std::size_t dropped_records);

} // namespace lemu::telemetry
