// lemu-extension-logger: an external Lambda extension that logs its lifecycle events. lemu's integration
// tests start it from <task root>/extensions/ and make it misbehave through the environment.
//
// It registers with the name it was started as (the file name of argv[0], as Lambda requires of external
// extensions), then loops on GET /extension/event/next. Tests depend on the exact texts below.
//
// Lines on stdout, each written and flushed whole; <name> is the registered name ("lemu-extension-logger"):
//   [<name>] INVOKE <requestId> deadline <deadlineMs>   per INVOKE event
//   [<name>] flood <i>/<N> <requestId>                   LEMU_EXT_LOG_FLOOD=N: i = 1..N, per INVOKE
//   [<name>] SHUTDOWN <shutdownReason>                   on SHUTDOWN; then exit 0
// Lines on stderr:
//   [<name>] registered <identifier> for <events, comma-separated>
//   [<name>] register failed: <status>                   then exit 1
//   [<name>] next failed: <status>                       then exit 1
//   [<name>] init error <type> -> <status>               LEMU_EXT_INIT_ERROR, then exit 1
//   [<name>] exit error <type> -> <status>               LEMU_EXT_EXIT_ERROR, then exit 1
//   [<name>] crash on <point>                            LEMU_EXT_CRASH_ON, then exit 1
//
// Knobs (environment). Each LEMU_EXT_<KNOB> can be set for one instance only as
// LEMU_EXT_<NAME>_<KNOB>, NAME being the extension name upper-cased with every other character than A-Z
// and 0-9 turned into '_' (lemu-extension-logger -> LEMU_EXT_LEMU_EXTENSION_LOGGER_CRASH_ON); the
// per-instance variable wins. Numbers that do not parse count as 0.
//   LEMU_EXT_NAME=<name>           register with this name instead of the file name (a wrong name makes
//                                  Lambda treat it as an internal extension, which may not take SHUTDOWN)
//   LEMU_EXT_EVENTS=INVOKE,SHUTDOWN  the events to register for (comma list; empty: none). Default both
//   LEMU_EXT_INIT_DELAY_MS=MS      sleep MS before registering (a slow extension init)
//   LEMU_EXT_CRASH_ON=register     exit 1 right after registering, before the first next
//   LEMU_EXT_CRASH_ON=invoke       exit 1 on the first INVOKE, after printing its line
//   LEMU_EXT_CRASH_ON=shutdown     exit 1 on SHUTDOWN, after printing its line
//   LEMU_EXT_INIT_ERROR=<type>     after registering, POST /extension/init/error with
//                                  Lambda-Extension-Function-Error-Type: <type>, then exit 1
//   LEMU_EXT_NEVER_NEXT=1          register, then never call next (block until killed)
//   LEMU_EXT_EXIT_ERROR=<type>     on the first INVOKE (after its line) POST /extension/exit/error with
//                                  <type>, then exit 1
//   LEMU_EXT_LOG_FLOOD=N           print N flood lines per INVOKE
//   LEMU_EXT_POST_INVOKE_MS=MS     sleep MS after each INVOKE before calling next again (post-invocation work)
//   LEMU_EXT_SHUTDOWN_MS=MS        sleep MS after SHUTDOWN before exiting 0
//   LEMU_EXT_ACCEPT_ACCOUNT_ID=1   register with Lambda-Extension-Accept-Feature: accountId (the stderr line
//                                  "registered" then ends with " account <accountId>")

#include <lemu_extension/extension.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

std::string g_name; // the registered name, for line prefixes

void print_line(std::FILE* stream, const std::string& line) {
  const std::string text = "[" + g_name + "] " + line + "\n";
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

// LEMU_EXT_<NAME>_<knob> for this instance, else LEMU_EXT_<knob>.
std::optional<std::string> knob(const std::string& name) {
  std::string instance;
  for (const char c : g_name) {
    instance += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  if (const char* value = std::getenv(("LEMU_EXT_" + instance + "_" + name).c_str())) return std::string(value);
  if (const char* value = std::getenv(("LEMU_EXT_" + name).c_str())) return std::string(value);
  return std::nullopt;
}

std::string knob_text(const std::string& name) { return knob(name).value_or(""); }

long knob_number(const std::string& name) {
  const std::string text = knob_text(name);
  long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value > 0 ? value : 0;
}

void sleep_ms(long ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
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

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

[[noreturn]] void crash_on(const char* point) {
  print_line(stderr, std::string("crash on ") + point);
  std::exit(1);
}

} // namespace

int main(int, char** argv) {
  const char* slash = std::strrchr(argv[0], '/');
  g_name = slash ? slash + 1 : argv[0];
  if (const auto name = knob("NAME")) g_name = *name;

  sleep_ms(knob_number("INIT_DELAY_MS"));

  const std::vector<std::string> events = split(knob("EVENTS").value_or("INVOKE,SHUTDOWN"), ',');
  std::vector<std::string> features;
  if (knob_text("ACCEPT_ACCOUNT_ID") == "1") features.emplace_back("accountId");
  lemu_extension::client client;
  const lemu_extension::registration registered = client.register_extension(g_name, events, features);
  if (!registered.ok()) {
    print_line(stderr, "register failed: " + registered.status.describe());
    return 1;
  }
  print_line(stderr, "registered " + registered.identifier + " for " + join(events) +
                         (features.empty() ? "" : " account " + registered.account_id));

  const std::string crash_point = knob_text("CRASH_ON");
  if (crash_point == "register") crash_on("register");
  if (const std::string type = knob_text("INIT_ERROR"); !type.empty()) {
    const auto status = client.init_error(type, lemu_extension::error_request(g_name + " init error", type));
    print_line(stderr, "init error " + type + " -> " + status.describe());
    return 1;
  }
  if (knob_text("NEVER_NEXT") == "1") {
    for (;;) pause();
  }

  const std::string exit_error_type = knob_text("EXIT_ERROR");
  const long flood_lines = knob_number("LOG_FLOOD");
  const long post_invoke_ms = knob_number("POST_INVOKE_MS");
  for (;;) {
    const lemu_extension::next_outcome next = client.next_event();
    if (!next) {
      print_line(stderr, "next failed: " + next.status.describe());
      return 1;
    }
    const lemu_extension::event& event = *next.value;
    if (event.event_type == "SHUTDOWN") {
      print_line(stdout, "SHUTDOWN " + event.shutdown_reason);
      if (crash_point == "shutdown") crash_on("shutdown");
      sleep_ms(knob_number("SHUTDOWN_MS"));
      return 0;
    }
    print_line(stdout, event.event_type + " " + event.request_id + " deadline " + std::to_string(event.deadline_ms));
    if (crash_point == "invoke") crash_on("invoke");
    if (!exit_error_type.empty()) {
      const auto status =
          client.exit_error(exit_error_type, lemu_extension::error_request(g_name + " exit error", exit_error_type));
      print_line(stderr, "exit error " + exit_error_type + " -> " + status.describe());
      return 1;
    }
    for (long i = 1; i <= flood_lines; ++i) {
      print_line(stdout, "flood " + std::to_string(i) + "/" + std::to_string(flood_lines) + " " + event.request_id);
    }
    sleep_ms(post_invoke_ms);
  }
}
