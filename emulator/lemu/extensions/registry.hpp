#pragma once
// The Extensions API 2020-01-01 of one execution environment (PROTOCOL.md §2.1): who registered, for which
// events, in which state, and the events waiting for each. Pure state, no I/O: the Runtime API server calls
// it for `POST /extension/register`, `GET /extension/event/next`, `POST /extension/init/error` and
// `POST /extension/exit/error`, and the execution environment sends it INVOKE and SHUTDOWN and asks it
// whether its gates are open (init over, the invocation's extensions done).
//
// An extension's states (the names RIE uses in its error messages):
//
//   Started --register--> Registered --next--> Ready --INVOKE/SHUTDOWN delivered--> Running --next--> Ready ...
//   Registered | Ready | Running --init/error--> InitError       --exit/error--> ExitError
//
// External extensions are the executables lemu started (expect_external): they must register with their
// file name. Any other name is an internal one (registered by the runtime process, as aws-lambda-go's
// WithEnableSIGTERM does), which may not subscribe to SHUTDOWN. At most 10 in all.
//
// Threading: every member is called from the io_context's one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::extensions {

inline constexpr std::size_t max_extensions = 10; // Lambda's limit (RIE: core.MaxAgentsAllowed)

// Header names (PROTOCOL.md §2.1).
namespace headers {
inline constexpr const char* name = "Lambda-Extension-Name";
inline constexpr const char* identifier = "Lambda-Extension-Identifier";
inline constexpr const char* event_identifier = "Lambda-Extension-Event-Identifier";
inline constexpr const char* accept_feature = "Lambda-Extension-Accept-Feature";
inline constexpr const char* function_error_type = "Lambda-Extension-Function-Error-Type";
} // namespace headers

// An answer: status, JSON body (Go's encoder output, with its trailing newline) and the header that goes with
// it (Lambda-Extension-Identifier on register, Lambda-Extension-Event-Identifier on an event).
struct reply {
  unsigned status = 200;
  std::string body;
  const char* header_name = nullptr;
  std::string header_value;
};

// What register answers with (and the accountId feature's value).
struct function_metadata {
  std::string function_name;
  std::string function_version;
  std::string handler;
  std::string account_id;
};

struct invoke_event {
  std::string request_id;
  std::int64_t deadline_ms = 0; // epoch ms
  std::string invoked_function_arn;
  std::string trace_id; // empty: no "tracing" object
};

struct shutdown_event {
  std::string reason; // SPINDOWN, TIMEOUT or FAILURE
  std::int64_t deadline_ms = 0;
};

enum class state { started, registered, ready, running, init_error, exit_error };
const char* state_name(state s);

// One extension as the environment sees it (for its log, telemetry and the summary).
struct extension_info {
  std::string name;
  std::string id;
  bool external = false;
  bool invoke = false;   // subscribed to INVOKE
  bool shutdown = false; // subscribed to SHUTDOWN
  extensions::state state = extensions::state::started;
  std::string error_type; // from init/error or exit/error
};

class registry {
public:
  // Called after every change an environment waits for: a registration, an extension ready again, an error.
  using changed_callback = std::function<void()>;
  // Called once for a parked GET /event/next: with the event's reply, or nullopt when the registry closes.
  using next_waiter = std::function<void(std::optional<reply>)>;

  registry(function_metadata md, changed_callback changed);

  // An external extension lemu started: `name` is its executable's file name.
  void expect_external(std::string name);

  // POST /extension/register.
  reply register_extension(std::string_view name, std::string_view accept_feature, std::string_view body);
  // GET /extension/event/next: the event to send now; or nothing, with `waiter` parked until an event comes;
  // or a refusal in `refused`. `identifier` is the header's value (nullopt: missing).
  std::optional<reply> next(std::optional<std::string_view> identifier, next_waiter waiter, std::optional<reply>& refused);
  // The connection of a parked /event/next went away: forget its waiter (without calling it).
  void cancel_next(std::string_view identifier);
  // POST /extension/init/error and /extension/exit/error.
  reply init_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type);
  reply exit_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type);

  // Init is over: later registrations are refused (Extension.RegistrationClosed).
  void close_registration() { m_registration_open = false; }
  // Lambda Managed Instances (PROTOCOL.md §9.1): no extension may take INVOKE (403 Extension.InvalidEventType).
  void refuse_invoke_events() { m_invoke_allowed = false; }
  // Every external extension lemu started has registered (or failed).
  bool externals_registered() const;
  // Every registered extension called /event/next since its last event (Ready): the gate of init and of
  // the end of an invocation.
  bool all_ready() const;
  // The first extension error (init/error or exit/error), as Lambda reports it to the invoke: the error type
  // the extension gave (e.g. Extension.ConfigInvalid) and the extension's name.
  std::optional<extension_info> failure() const;

  // INVOKE to every extension subscribed to it (they become Running). False when none is subscribed.
  bool send_invoke(const invoke_event& e);
  // SHUTDOWN to every extension subscribed to it (queued for one that is still Running).
  void send_shutdown(const shutdown_event& e);
  bool any_subscribed_to_shutdown() const;
  bool has_internal() const;
  std::size_t size() const { return m_order.size(); }
  std::vector<extension_info> list() const;

  // The environment is going away: parked /event/next calls are released and every later call refused.
  void close();

private:
  struct extension {
    extension_info info;
    next_waiter waiter;
    std::optional<std::string> pending; // an event's JSON waiting for the next /event/next
  };
  extension* find(std::string_view id);
  // The identifier check every call after register makes (403 missing, invalid or unknown).
  extension* identify(std::optional<std::string_view> identifier, std::optional<reply>& refused, bool next_call);
  reply deliver(extension& x, std::string json);
  void queue(extension& x, std::string json);
  reply report_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type, state to);

  function_metadata m_metadata;
  changed_callback m_changed;
  std::vector<std::string> m_expected;             // external names, in launch order
  std::map<std::string, extension, std::less<>> m_by_id;
  std::vector<std::string> m_order;                // ids in registration order
  bool m_registration_open = true;
  bool m_closed = false;
  bool m_invoke_allowed = true;
};

} // namespace lemu::extensions
