// fake-bootstrap: the test double lemu's tests start as a function's bootstrap. Like aws-lambda-cpp's
// tests/resources/lambda_function.cpp it is one binary with many behaviours, chosen by _HANDLER.
// Tests depend on the exact mode strings and texts below.
//
// Per-event modes (also selectable per invocation by `by-event`):
//   echo (also when _HANDLER is empty)  respond with the payload, application/json
//   error          post /error {"errorMessage":"fake failure","errorType":"FakeError","stackTrace":[]}
//   crash          abort() (SIGABRT)
//   exit:N         _exit(N), N in 0..255
//   sleep:MS       sleep MS milliseconds, then echo
//   hang           block forever
//   huge-response  respond with a JSON string of FAKE_RESPONSE_BYTES bytes (default 7340032) incl. quotes
//   noisy          write FAKE_NOISE_LINES lines (default 1000) to stdout and as many to stderr, then echo
//   alloc:MB       allocate and touch MB MiB (kept until the process ends), then echo
//   flood:MB       write MB MiB to stdout in 1000-byte lines, then echo
//   daemon:MS      start a daemon that calls setsid(), keeps stdout/stderr open and lives MS milliseconds
//                  (it prints "fake-bootstrap: daemon <pid>"), wait 100 ms, then exit 0 without answering
//   orphan-alloc:MB  fork a child that forks a grandchild and exits; the orphaned grandchild (same process
//                  group, re-parented to init) prints "fake-bootstrap: orphan <pid>", allocates MB MiB and
//                  waits forever; then sleep 2 s and echo
//   daemon-hang:MS as daemon:MS, but then block forever instead of exiting
//   partial        write "STDOUT-PARTIAL" and "STDERR-PARTIAL" with no newline, then echo
//   raw            respond with the bytes FAKE_RAW_HEX spells in hexadecimal, application/octet-stream
//   overlap:MS     count itself in flight, sleep MS milliseconds, then respond {"pid":<pid>,"peak":<most
//                  invocations this process had in flight at once so far>,"thread":<worker number>}
// Other modes:
//   init-error       POST /runtime/init/error (Runtime.FakeInitError) before any /next, then exit 1
//   init-exit:N      _exit(N) before the first /next, N in 0..255
//   init-sleep:MS    sleep MS milliseconds before the first /next, then echo
//   ignore-sigterm   ignore SIGTERM, then echo
//   fork-grandchild  per event fork a child that ignores SIGTERM and never exits, then echo
//   env              respond {"env":{...},"cwd":"...","argv":[...]}
//   proxy-env        respond as an API Gateway proxy integration: {"statusCode":200,"headers":{...},"body":
//                    "<env's document with \"event\": the payload and \"deadline_ms\">"}
//   tagged           respond {"tag":"<FAKE_TAG, or none>","event":<the payload as JSON>} (replay tests)
//   headers          respond with what /next delivered, as a JSON object (tenant_id: "" without the
//                    tenant header), and "pid": this process's pid (which environment ran it)
//   by-event         the payload's string field "fake" names a per-event mode for that invocation
//   stream           stream every response (PROTOCOL.md §1.9): FAKE_STREAM_CHUNKS chunks (default 3), each
//                    "chunk <i>\n" or FAKE_STREAM_CHUNK_BYTES bytes of 'x', or with FAKE_STREAM_TIMESTAMP set
//                    "t=<CLOCK_MONOTONIC ns when written>\n"; FAKE_STREAM_DELAY_MS between chunks;
//                    Content-Type FAKE_STREAM_CONTENT_TYPE (default application/octet-stream), or with
//                    FAKE_STREAM_PRELUDE (a JSON object) application/vnd.awslambda.http-integration-response
//                    and that prelude plus 8 NUL bytes first. FAKE_STREAM_END says how it ends: ok (default),
//                    error (trailers Lambda-Runtime-Function-Error-Type: FakeStreamError and -Error-Body, base64
//                    of {"errorMessage":"fake stream failure","errorType":"FakeStreamError"}), rust-error (the
//                    same written into the body, as the Rust client does), crash (abort), hang (block), cut
//                    (close the connection, then block).
// Anything else: "fake-bootstrap: unknown mode <x>" on stderr, init error Runtime.FakeUnknownMode, exit 1.
// With AWS_LAMBDA_MAX_CONCURRENCY=N (N > 1: Lambda Managed Instances, PROTOCOL.md §9.1) it runs N worker
// threads, each with its own Runtime API connection and /next loop, as aws-lambda-go does.
// With FAKE_LOG_EVENTS set, every invocation first prints "fake-bootstrap: event <request id>" to stdout.
// With FAKE_LOG_PID set, it prints "fake-bootstrap: pid <pid>" to stderr at start.
// With FAKE_IGNORE_SIGTERM set, it ignores SIGTERM whatever the mode.
// With FAKE_SIGTERM_EXTENSION set, it behaves as aws-lambda-go's lambda.WithEnableSIGTERM before its first
// /next (PROTOCOL.md §8.15): it installs a SIGTERM handler that writes "fake-bootstrap: SIGTERM received" to
// stdout and exits 0 (unless SIGTERM is ignored), then registers an internal extension: POST
// /2020-01-01/extension/register with Lambda-Extension-Name: GoLangEnableSIGTERM, no Content-Type and body
// {"events":null} (Go's exact bytes: it marshals an empty events list as null), or {"events":[]} when the
// value is "empty-list". On success a thread calls GET /2020-01-01/extension/event/next once, which is
// expected never to return; if it does, stderr gets "fake-bootstrap: WARNING! Reached expected unreachable
// code! Extension /next call expected to block forever! err: <status>". A failed registration prints
// "fake-bootstrap: WARNING! Failed to register internal extension! SIGTERM events may not be enabled! err:
// <status>" on stderr and the runtime carries on, as Go does.

#include <lemu_extension/extension.hpp>
#include <lemu_runtime/runtime.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <ctime>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using lemu_runtime::invocation_request;
using lemu_runtime::invocation_response;

enum class action {
  echo, error, crash, exit, sleep, hang, huge_response, noisy, alloc, flood, daemon, daemon_hang, orphan_alloc, partial, raw,
  fork_grandchild, env, proxy_env, headers, tagged, by_event, overlap
};

std::atomic<int> g_in_flight{0}, g_peak{0};
thread_local int t_worker = 0;

struct mode {
  action what = action::echo;
  int arg = 0; // exit status of exit:N, milliseconds of sleep:MS and daemon:MS, MiB of alloc:MB, flood:MB, orphan-alloc:MB
};

// Writes one line and flushes it: stdout is a pipe to lemu, so it is fully buffered otherwise.
void print_line(std::FILE* stream, const std::string& line) {
  std::fputs((line + '\n').c_str(), stream);
  std::fflush(stream);
}

// The integer after `prefix` in "<prefix><digits>", if `text` has that shape and it fits in an int.
std::optional<int> number_after(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix || text.size() == prefix.size()) {
    return std::nullopt;
  }
  const char* begin = text.data() + prefix.size();
  const char* end = text.data() + text.size();
  int value = 0;
  const auto [stop, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || stop != end || value < 0) {
    return std::nullopt;
  }
  return value;
}

// N of "<prefix>N" when N is a valid exit status (0..255).
std::optional<int> exit_status_after(std::string_view text, std::string_view prefix) {
  const auto status = number_after(text, prefix);
  return status && *status <= 255 ? status : std::nullopt;
}

std::size_t size_from_env(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  std::size_t value = 0;
  if (text == nullptr || std::from_chars(text, text + std::strlen(text), value).ec != std::errc{}) {
    return fallback;
  }
  return value;
}

std::string to_text(const nlohmann::ordered_json& json) {
  // `replace` keeps non-UTF-8 bytes (environment values, payloads) from throwing.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Per-event modes: the ones `by-event` may pick.
std::optional<mode> parse_event_mode(std::string_view name) {
  if (name == "echo") return mode{action::echo};
  if (name == "error") return mode{action::error};
  if (name == "crash") return mode{action::crash};
  if (name == "hang") return mode{action::hang};
  if (name == "huge-response") return mode{action::huge_response};
  if (name == "noisy") return mode{action::noisy};
  if (const auto status = exit_status_after(name, "exit:")) return mode{action::exit, *status};
  if (const auto ms = number_after(name, "sleep:")) return mode{action::sleep, *ms};
  if (const auto mb = number_after(name, "alloc:")) return mode{action::alloc, *mb};
  if (const auto mb = number_after(name, "flood:")) return mode{action::flood, *mb};
  if (const auto ms = number_after(name, "daemon:")) return mode{action::daemon, *ms};
  if (const auto mb = number_after(name, "orphan-alloc:")) return mode{action::orphan_alloc, *mb};
  if (const auto ms = number_after(name, "daemon-hang:")) return mode{action::daemon_hang, *ms};
  if (name == "partial") return mode{action::partial};
  if (name == "raw") return mode{action::raw};
  if (const auto ms = number_after(name, "overlap:")) return mode{action::overlap, *ms};
  return std::nullopt;
}

// Modes allowed as _HANDLER once the startup step (if any) is done.
std::optional<mode> parse_handler_mode(std::string_view name) {
  if (name.empty()) return mode{action::echo};
  if (name == "fork-grandchild") return mode{action::fork_grandchild};
  if (name == "env") return mode{action::env};
  if (name == "proxy-env") return mode{action::proxy_env};
  if (name == "headers") return mode{action::headers};
  if (name == "tagged") return mode{action::tagged};
  if (name == "by-event") return mode{action::by_event};
  return parse_event_mode(name);
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

[[noreturn]] void block_forever() {
  for (;;) {
    pause();
  }
}

// Posts /runtime/init/error and exits 1, as a runtime must after an init failure.
[[noreturn]] void fail_init(lemu_runtime::runtime& runtime, const std::string& error_type, const std::string& message) {
  const lemu_runtime::api_status status = runtime.post_init_error(error_type, message);
  if (!status.ok()) {
    print_line(stderr, "fake-bootstrap: posting the init error failed: " + status.describe());
  }
  std::exit(1);
}

invocation_response echo(const invocation_request& request) {
  return invocation_response::success(request.payload, "application/json");
}

invocation_response huge_response() {
  std::string body(std::max<std::size_t>(size_from_env("FAKE_RESPONSE_BYTES", 7340032), 2), 'x');
  body.front() = '"';
  body.back() = '"';
  return invocation_response::success(std::move(body), "application/json");
}

void write_noise() {
  const std::size_t lines = size_from_env("FAKE_NOISE_LINES", 1000);
  for (std::size_t i = 1; i <= lines; ++i) {
    print_line(stdout, "noise stdout " + std::to_string(i));
    print_line(stderr, "noise stderr " + std::to_string(i));
  }
}

// Allocates `mb` MiB and writes to every page so that it is resident; never freed.
void allocate(int mb) {
  const std::size_t bytes = static_cast<std::size_t>(mb) << 20;
  // Volatile stores: the compiler may not drop them although nothing reads the block back.
  volatile char* block = static_cast<char*>(std::malloc(bytes));
  if (!block) return;
  for (std::size_t i = 0; i < bytes; i += 4096) block[i] = 1;
}

// Writes `mb` MiB to stdout as lines of 999 characters and a newline.
void flood(int mb) {
  const std::string line(999, 'f');
  const std::size_t lines = (static_cast<std::size_t>(mb) << 20) / 1000;
  for (std::size_t i = 0; i < lines; ++i) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
}

// Starts a process that outlives us: it stays in our process group and keeps our stdout/stderr open, so
// lemu sees its pipes stay open and must kill the whole group. It ignores SIGTERM, so only SIGKILL ends it.
invocation_response fork_grandchild(const invocation_request& request) {
  const pid_t pid = fork();
  if (pid == 0) {
    close_range(3, ~0U, 0); // drop the inherited Runtime API connection; keep stdin/stdout/stderr
    std::signal(SIGTERM, SIG_IGN);
    block_forever();
  }
  if (pid < 0) {
    return invocation_response::failure(std::string("fork failed: ") + std::strerror(errno), "FakeForkError");
  }
  print_line(stderr, "fake-bootstrap: grandchild " + std::to_string(pid));
  return echo(request);
}

// A daemon, as Python's subprocess.Popen(..., start_new_session=True) or Node's spawn(..., {detached: true})
// make one: its own session and process group, our stdout/stderr still open. Then we exit without answering.
void start_daemon(int ms) {
  const pid_t pid = fork();
  if (pid == 0) {
    close_range(3, ~0U, 0);
    setsid();
    print_line(stderr, "fake-bootstrap: daemon " + std::to_string(getpid()));
    sleep_ms(ms);
    _exit(0);
  }
  sleep_ms(100); // long enough for a process-tree watcher to have seen it
}

// Bytes from hexadecimal ("ff00" -> "\xff\x00"); odd or bad digits are skipped.
std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned value = 0;
    if (std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16).ec == std::errc{}) out.push_back(static_cast<char>(value));
  }
  return out;
}

// An orphan in our process group that grows: a watcher of our process tree alone would not see it.
invocation_response orphan_alloc(const invocation_request& request, int mb) {
  const pid_t child = fork();
  if (child == 0) {
    if (fork() == 0) {
      close_range(3, ~0U, 0);
      print_line(stderr, "fake-bootstrap: orphan " + std::to_string(getpid()));
      allocate(mb);
      block_forever();
    }
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  sleep_ms(2000);
  return echo(request);
}

invocation_response partial_lines(const invocation_request& request) {
  std::fputs("STDOUT-PARTIAL", stdout);
  std::fflush(stdout);
  std::fputs("STDERR-PARTIAL", stderr);
  std::fflush(stderr);
  return echo(request);
}

invocation_response describe_process(const std::vector<std::string>& argv) {
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    env[std::string(text.substr(0, eq))] = eq == std::string_view::npos ? "" : text.substr(eq + 1);
  }
  std::error_code ec;
  const nlohmann::ordered_json doc = {
      {"env", env}, {"cwd", std::filesystem::current_path(ec).string()}, {"argv", argv}};
  return invocation_response::success(to_text(doc), "application/json");
}

// An API Gateway / function URL proxy response whose body is env's document plus the event.
invocation_response proxy_env(const invocation_request& request) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(describe_process({}).get_payload());
  doc["event"] = nlohmann::ordered_json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
  doc["deadline_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline.time_since_epoch()).count();
  const nlohmann::ordered_json out = {{"statusCode", 200},
                                      {"headers", {{"Content-Type", "application/json"}}},
                                      {"body", to_text(doc)}};
  return invocation_response::success(to_text(out), "application/json");
}

invocation_response describe_request(const invocation_request& request) {
  const auto deadline_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline.time_since_epoch()).count();
  const nlohmann::ordered_json doc = {{"request_id", request.request_id},
                                      {"deadline_ms", deadline_ms},
                                      {"function_arn", request.function_arn},
                                      {"trace_id", request.xray_trace_id},
                                      {"client_context", request.client_context},
                                      {"cognito_identity", request.cognito_identity},
                                      {"tenant_id", request.tenant_id},
                                      {"pid", static_cast<long long>(getpid())},
                                      {"content_type", request.content_type},
                                      {"payload", request.payload}};
  return invocation_response::success(to_text(doc), "application/json");
}

// {"tag": $FAKE_TAG, "event": <payload>}: a response whose content a test changes through --env.
invocation_response tagged(const invocation_request& request) {
  const char* tag = std::getenv("FAKE_TAG");
  nlohmann::ordered_json out;
  out["tag"] = tag ? tag : "none";
  out["event"] = nlohmann::ordered_json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
  return invocation_response::success(to_text(out), "application/json");
}

class fake_function {
public:
  fake_function(mode m, std::vector<std::string> argv)
      : m_mode(m), m_argv(std::move(argv)), m_log_events(std::getenv("FAKE_LOG_EVENTS") != nullptr) {}

  invocation_response operator()(const invocation_request& request) const {
    if (m_log_events) {
      print_line(stdout, "fake-bootstrap: event " + request.request_id);
    }
    return run(m_mode, request);
  }

private:
  invocation_response run(mode m, const invocation_request& request) const {
    switch (m.what) {
    case action::echo: return echo(request);
    case action::error: return invocation_response::failure("fake failure", "FakeError");
    case action::crash: std::abort();
    case action::exit: _exit(m.arg);
    case action::sleep: sleep_ms(m.arg); return echo(request);
    case action::hang: block_forever();
    case action::huge_response: return huge_response();
    case action::noisy: write_noise(); return echo(request);
    case action::alloc: allocate(m.arg); return echo(request);
    case action::flood: flood(m.arg); return echo(request);
    case action::daemon: start_daemon(m.arg); _exit(0);
    case action::daemon_hang: start_daemon(m.arg); block_forever();
    case action::raw: {
      const char* hex = std::getenv("FAKE_RAW_HEX");
      return invocation_response::success(from_hex(hex ? hex : ""), "application/octet-stream");
    }
    case action::orphan_alloc: return orphan_alloc(request, m.arg);
    case action::partial: return partial_lines(request);
    case action::fork_grandchild: return fork_grandchild(request);
    case action::env: return describe_process(m_argv);
    case action::proxy_env: return proxy_env(request);
    case action::headers: return describe_request(request);
    case action::tagged: return tagged(request);
    case action::by_event: return run_by_event(request);
    case action::overlap: {
      const int now = ++g_in_flight;
      for (int peak = g_peak.load(); now > peak && !g_peak.compare_exchange_weak(peak, now);) {
      }
      sleep_ms(m.arg);
      --g_in_flight;
      return invocation_response::success(
          R"({"pid":)" + std::to_string(getpid()) + R"(,"peak":)" + std::to_string(g_peak.load()) + R"(,"thread":)" +
              std::to_string(t_worker) + "}",
          "application/json");
    }
    }
    std::abort(); // unreachable: every action is handled above
  }

  // The mode named by the payload's string field "fake"; echo when the payload has none.
  invocation_response run_by_event(const invocation_request& request) const {
    const auto doc = nlohmann::json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
    const auto fake = doc.is_object() ? doc.find("fake") : doc.end();
    if (fake == doc.end() || !fake->is_string()) {
      return echo(request);
    }
    const auto& name = fake->get_ref<const std::string&>();
    const std::optional<mode> chosen = parse_event_mode(name);
    if (!chosen) {
      return invocation_response::failure("unknown mode " + name, "Runtime.FakeUnknownMode");
    }
    return run(*chosen, request);
  }

  mode m_mode;
  std::vector<std::string> m_argv;
  bool m_log_events;
};

// The SIGTERM handler of FAKE_SIGTERM_EXTENSION: only async-signal-safe calls.
extern "C" void on_sigterm(int) {
  constexpr char line[] = "fake-bootstrap: SIGTERM received\n";
  [[maybe_unused]] const ssize_t written = write(STDOUT_FILENO, line, sizeof line - 1);
  _exit(0);
}

// aws-lambda-go's EnableSIGTERM: the handler first, then the internal extension that makes Lambda send SIGTERM.
void enable_sigterm(std::string_view variant) {
  if (!std::getenv("FAKE_IGNORE_SIGTERM")) { // the ignore-sigterm mode sets SIG_IGN after this
    std::signal(SIGTERM, on_sigterm);
  }
  // Never destroyed: the thread below uses it until the process ends.
  auto* extensions = new lemu_extension::client();
  const std::string body = variant == "empty-list" ? R"({"events":[]})" : R"({"events":null})";
  const lemu_extension::registration registered = extensions->register_with_body("GoLangEnableSIGTERM", body);
  if (!registered.ok()) {
    print_line(stderr, "fake-bootstrap: WARNING! Failed to register internal extension! SIGTERM events may not be "
                       "enabled! err: " + registered.status.describe());
    return;
  }
  // Registered for no event, so /next should never return; calling it tells Lambda this extension's init is done.
  std::thread([extensions] {
    const lemu_extension::next_outcome next = extensions->next_event();
    print_line(stderr, "fake-bootstrap: WARNING! Reached expected unreachable code! Extension /next call expected to "
                       "block forever! err: " + next.status.describe());
  }).detach();
}

std::string stream_chunk(std::size_t i, std::size_t bytes) {
  if (std::getenv("FAKE_STREAM_TIMESTAMP")) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return "t=" + std::to_string(std::int64_t{now.tv_sec} * 1000000000 + now.tv_nsec) + "\n";
  }
  if (bytes > 0) return std::string(bytes, 'x');
  return "chunk " + std::to_string(i) + "\n";
}

// The stream mode's whole loop: every event is answered with a streamed response.
[[noreturn]] void stream_forever(lemu_runtime::runtime& runtime) {
  const std::size_t chunks = size_from_env("FAKE_STREAM_CHUNKS", 3);
  const std::size_t chunk_bytes = size_from_env("FAKE_STREAM_CHUNK_BYTES", 0);
  const int delay = static_cast<int>(size_from_env("FAKE_STREAM_DELAY_MS", 0));
  const char* end_env = std::getenv("FAKE_STREAM_END");
  const std::string end = end_env ? end_env : "ok";
  const char* prelude = std::getenv("FAKE_STREAM_PRELUDE");
  const char* type_env = std::getenv("FAKE_STREAM_CONTENT_TYPE");
  const std::string type = prelude ? "application/vnd.awslambda.http-integration-response"
                                   : type_env ? type_env : "application/octet-stream";
  const std::string error_json = R"({"errorMessage":"fake stream failure","errorType":"FakeStreamError"})";
  for (int failures = 0; failures < 3;) {
    const lemu_runtime::next_outcome next = runtime.get_next();
    if (!next) {
      ++failures;
      continue;
    }
    failures = 0;
    lemu_runtime::response_writer out = runtime.stream_response(next.request->request_id, type);
    if (prelude) out.write(std::string(prelude) + std::string(8, '\0'));
    for (std::size_t i = 0; i < chunks; ++i) {
      if (i > 0 && delay > 0) sleep_ms(delay);
      if (!out.write(stream_chunk(i, chunk_bytes)).ok()) break;
    }
    lemu_runtime::api_status status;
    if (end == "error") status = out.fail("FakeStreamError", error_json);
    else if (end == "rust-error") status = out.fail_in_body("FakeStreamError", error_json);
    else if (end == "crash") std::abort();
    else if (end == "hang") block_forever();
    else if (end == "cut") {
      out.abandon();
      block_forever();
    } else status = out.finish();
    if (!status.ok()) print_line(stderr, "fake-bootstrap: the streamed response was refused: " + status.describe());
  }
  std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
  const char* handler_env = std::getenv("_HANDLER");
  const std::string handler = handler_env ? handler_env : "";
  lemu_runtime::runtime runtime;
  if (std::getenv("FAKE_LOG_PID")) print_line(stderr, "fake-bootstrap: pid " + std::to_string(getpid()));
  if (std::getenv("FAKE_IGNORE_SIGTERM")) std::signal(SIGTERM, SIG_IGN);
  if (const char* variant = std::getenv("FAKE_SIGTERM_EXTENSION")) enable_sigterm(variant);

  // Startup steps, before the first /next.
  std::string per_event = handler;
  if (handler == "init-error") {
    fail_init(runtime, "Runtime.FakeInitError", "fake init failure");
  } else if (const auto status = exit_status_after(handler, "init-exit:")) {
    _exit(*status);
  } else if (const auto ms = number_after(handler, "init-sleep:")) {
    sleep_ms(*ms);
    per_event = "echo";
  } else if (handler == "ignore-sigterm") {
    std::signal(SIGTERM, SIG_IGN);
    per_event = "echo";
  }

  if (per_event == "stream") stream_forever(runtime);
  const std::optional<mode> chosen = parse_handler_mode(per_event);
  if (!chosen) {
    print_line(stderr, "fake-bootstrap: unknown mode " + handler);
    fail_init(runtime, "Runtime.FakeUnknownMode", "unknown mode " + handler);
  }
  const fake_function function(*chosen, std::vector<std::string>(argv, argv + argc));
  const std::size_t workers = size_from_env("AWS_LAMBDA_MAX_CONCURRENCY", 1);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers; ++i) {
    threads.emplace_back([&function, i] {
      t_worker = static_cast<int>(i);
      lemu_runtime::runtime own; // each worker its own connection and /next loop
      own.run_handler(function);
    });
  }
  runtime.run_handler(function);
  for (auto& t : threads) t.join();
  return 0;
}
