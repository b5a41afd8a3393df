// lemu-telemetry-subscriber: an external Lambda extension that subscribes to the Telemetry API (2022-07-01)
// or the Logs API (2020-08-15) and writes every event it is sent, one JSON object a line, to a file.
// lemu's integration tests start it from <task root>/extensions/ and read that file.
//
// Steps: listen on 127.0.0.1:<port> (a thread per connection answers the deliveries), register as the file
// name of argv[0] for INVOKE and SHUTDOWN, PUT the subscription with destination
// http://sandbox.localdomain:<port>/telemetry (/logs for the Logs API), then loop on next. Each POST (or
// PUT) must carry a JSON array: every element is appended as one line, the file is flushed, and the
// delivery is answered 200 (400 when the body is not a JSON array). On SHUTDOWN it waits for the final
// batch: until a delivery that started after the SHUTDOWN event has been answered and none followed for
// 100 ms, but no later than the event's deadlineMs minus LEMU_TELEMETRY_SHUTDOWN_MARGIN_MS; then exit 0.
//
// Knobs (environment):
//   LEMU_TELEMETRY_OUT=<file>          where the events go (appended). Default /tmp/lemu-telemetry.jsonl
//   LEMU_TELEMETRY_PORT=<port>         the listener's port. Default 4243
//   LEMU_TELEMETRY_API=telemetry|logs  subscribe to PUT /2022-07-01/telemetry (default) or to
//                                      PUT /2020-08-15/logs
//   LEMU_TELEMETRY_SCHEMA=<version>    the subscription's schemaVersion. Default 2025-01-29 (Telemetry API),
//                                      2021-03-18 (Logs API)
//   LEMU_TELEMETRY_TYPES=a,b,...       the subscribed types. Default platform,function,extension
//   LEMU_TELEMETRY_MAX_ITEMS=N         buffering.maxItems. Default 10000 (Lambda's default)
//   LEMU_TELEMETRY_MAX_BYTES=N         buffering.maxBytes. Default 262144 (Lambda's default)
//   LEMU_TELEMETRY_TIMEOUT_MS=MS       buffering.timeoutMs. Default 1000 (Lambda's default)
//   LEMU_TELEMETRY_SLOW_MS=MS          answer each delivery MS later (after its events are written): a slow
//                                      consumer, for drop tests
//   LEMU_TELEMETRY_SHUTDOWN_MARGIN_MS=MS  stop waiting for the final batch MS before the SHUTDOWN deadline.
//                                      Default 200
//
// Lines on stderr, each written and flushed whole (never one per delivery: its own output comes back to it
// as "extension" telemetry):
//   [<name>] listening on 127.0.0.1:<port>
//   [<name>] listen failed: <reason>              then exit 1
//   [<name>] registered <identifier>
//   [<name>] register failed: <status>            then exit 1
//   [<name>] subscribed: <status>                 (<status> is e.g. "HTTP 200 OK")
//   [<name>] subscribe failed: <status>           it goes on as an extension without telemetry
//   [<name>] bad delivery: <reason>               a delivery whose body is not a JSON array (answered 400)
//   [<name>] next failed: <status>                then exit 1
//   [<name>] cannot open <file>: <reason>         then exit 1
// Lines on stdout:
//   [<name>] SHUTDOWN <shutdownReason> events <N> batches <M>   after the wait, before exit 0 (N events
//                                                               in M deliveries over the whole run)

#include <lemu_extension/extension.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::ordered_json; // events are written back with their keys in the order they came
using steady = std::chrono::steady_clock;

std::string g_name; // the registered name, for line prefixes

void print_line(std::FILE* stream, const std::string& line) {
  const std::string text = "[" + g_name + "] " + line + "\n";
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

std::string env_text(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  long value = 0;
  if (text == nullptr || std::from_chars(text, text + std::strlen(text), value).ec != std::errc{} || value < 0) {
    return fallback;
  }
  return value;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto stop = text.find(separator);
    const std::string_view item = text.substr(0, stop);
    if (!item.empty()) items.emplace_back(item);
    if (stop == std::string_view::npos) break;
    text.remove_prefix(stop + 1);
  }
  return items;
}

// What the deliveries have brought so far; shared by the connection threads and the main thread.
class sink {
public:
  explicit sink(std::FILE* out) : m_out(out) {}

  // Appends the batch's events, one line each, and flushes. False when the body is not a JSON array.
  bool write_batch(const std::string& body, std::string& why) {
    const json batch = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!batch.is_array()) {
      why = batch.is_discarded() ? "not JSON" : "not a JSON array";
      return false;
    }
    std::string lines;
    for (const json& item : batch) {
      lines += item.dump(-1, ' ', false, json::error_handler_t::replace);
      lines += '\n';
    }
    const std::lock_guard lock(m_mutex);
    std::fwrite(lines.data(), 1, lines.size(), m_out);
    std::fflush(m_out);
    m_events += batch.size();
    return true;
  }

  // A delivery that started at `started` has been answered.
  void answered(steady::time_point started) {
    {
      const std::lock_guard lock(m_mutex);
      ++m_batches;
      m_last_answer = steady::now();
      m_latest_start = std::max(m_latest_start, started);
    }
    m_changed.notify_all();
  }

  // Waits for the final batch (see the top of the file) until `limit`; then closes the file. Returns the
  // totals; deliveries still in flight are not written any more.
  std::pair<std::size_t, std::size_t> finish(steady::time_point shutdown_at, steady::time_point limit) {
    constexpr auto quiet = std::chrono::milliseconds(100);
    std::unique_lock lock(m_mutex);
    for (;;) {
      const auto now = steady::now();
      const bool final_batch_seen = m_batches > 0 && m_latest_start >= shutdown_at;
      if (now >= limit || (final_batch_seen && now - m_last_answer >= quiet)) break;
      const auto wake = final_batch_seen ? std::min(limit, m_last_answer + quiet) : limit;
      m_changed.wait_until(lock, wake);
    }
    std::fclose(m_out);
    m_out = nullptr;
    m_closed = true;
    return {m_events, m_batches};
  }

  bool closed() {
    const std::lock_guard lock(m_mutex);
    return m_closed;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::FILE* m_out;
  bool m_closed = false;
  std::size_t m_events = 0;
  std::size_t m_batches = 0;
  steady::time_point m_last_answer{};  // when the last delivery was answered
  steady::time_point m_latest_start{}; // when the latest answered delivery had arrived
};

// Serves one connection from the platform: any number of kept-alive deliveries.
void serve(tcp::socket socket, sink& events, long slow_ms) {
  beast::flat_buffer buffer;
  for (;;) {
    beast::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(boost::none); // a delivery is up to 2 * maxBytes + metadata: bounded by the platform
    http::read(socket, buffer, parser, ec);
    if (ec) return; // closed by the platform, or garbage
    const auto started = steady::now();
    const http::request<http::string_body>& request = parser.get();
    http::response<http::string_body> reply{http::status::ok, request.version()};
    std::string why;
    if (events.closed()) {
      reply.result(http::status::service_unavailable);
    } else if (!events.write_batch(request.body(), why)) {
      print_line(stderr, "bad delivery: " + why);
      reply.result(http::status::bad_request);
    }
    if (slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
    reply.keep_alive(request.keep_alive());
    reply.prepare_payload();
    http::write(socket, reply, ec);
    events.answered(started);
    if (ec || !request.keep_alive()) return;
  }
}

void accept_forever(tcp::acceptor& acceptor, sink& events, long slow_ms) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = acceptor.accept(ec);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    std::thread(serve, std::move(socket), std::ref(events), slow_ms).detach();
  }
}

std::string subscription(bool logs_api, long port) {
  std::vector<std::string> types = split(env_text("LEMU_TELEMETRY_TYPES", "platform,function,extension"), ',');
  const json body = {
      {"schemaVersion", env_text("LEMU_TELEMETRY_SCHEMA", logs_api ? "2021-03-18" : "2025-01-29")},
      {"types", types},
      {"buffering",
       {{"maxItems", env_number("LEMU_TELEMETRY_MAX_ITEMS", 10000)},
        {"maxBytes", env_number("LEMU_TELEMETRY_MAX_BYTES", 262144)},
        {"timeoutMs", env_number("LEMU_TELEMETRY_TIMEOUT_MS", 1000)}}},
      {"destination",
       {{"protocol", "HTTP"},
        {"URI", "http://sandbox.localdomain:" + std::to_string(port) + (logs_api ? "/logs" : "/telemetry")}}}};
  return body.dump();
}

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

int main(int, char** argv) {
  const char* slash = std::strrchr(argv[0], '/');
  g_name = slash ? slash + 1 : argv[0];
  const long port = env_number("LEMU_TELEMETRY_PORT", 4243);
  const bool logs_api = env_text("LEMU_TELEMETRY_API", "telemetry") == "logs";
  const long slow_ms = env_number("LEMU_TELEMETRY_SLOW_MS", 0);
  const long margin_ms = env_number("LEMU_TELEMETRY_SHUTDOWN_MARGIN_MS", 200);
  const std::string out_path = env_text("LEMU_TELEMETRY_OUT", "/tmp/lemu-telemetry.jsonl");

  std::FILE* out = std::fopen(out_path.c_str(), "a");
  if (out == nullptr) {
    print_line(stderr, "cannot open " + out_path + ": " + std::strerror(errno));
    return 1;
  }
  sink events(out);

  // Listening before subscribing: the platform may deliver as soon as the subscription is accepted.
  net::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  const tcp::endpoint local(net::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(port));
  acceptor.open(local.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(local, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    print_line(stderr, "listen failed: " + ec.message());
    return 1;
  }
  print_line(stderr, "listening on 127.0.0.1:" + std::to_string(port));
  std::thread(accept_forever, std::ref(acceptor), std::ref(events), slow_ms).detach();

  lemu_extension::client client;
  const lemu_extension::registration registered = client.register_extension(g_name, {"INVOKE", "SHUTDOWN"});
  if (!registered.ok()) {
    print_line(stderr, "register failed: " + registered.status.describe());
    return 1;
  }
  print_line(stderr, "registered " + registered.identifier);
  const lemu_extension::api_status subscribed =
      client.subscribe(logs_api ? lemu_extension::logs_api : lemu_extension::telemetry_api, subscription(logs_api, port));
  print_line(stderr, (subscribed.ok() ? "subscribed: " : "subscribe failed: ") + subscribed.describe());

  for (;;) {
    const lemu_extension::next_outcome next = client.next_event();
    if (!next) {
      print_line(stderr, "next failed: " + next.status.describe());
      std::fflush(out);
      std::_Exit(1); // the listener threads still run: no static destruction under their feet
    }
    if (next.value->event_type != "SHUTDOWN") continue;
    const auto shutdown_at = steady::now();
    // Without a deadline, the 2 s Lambda gives extensions to shut down.
    const std::int64_t deadline_ms = next.value->deadline_ms > 0 ? next.value->deadline_ms : epoch_ms_now() + 2000;
    const auto limit = shutdown_at + std::chrono::milliseconds(deadline_ms - margin_ms - epoch_ms_now());
    const auto [event_count, batch_count] = events.finish(shutdown_at, limit);
    print_line(stdout, "SHUTDOWN " + next.value->shutdown_reason + " events " + std::to_string(event_count) +
                           " batches " + std::to_string(batch_count));
    std::_Exit(0);
  }
}
