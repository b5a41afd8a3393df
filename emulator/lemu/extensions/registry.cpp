#include <lemu/extensions/registry.hpp>

#include <lemu/core/ids.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lemu::extensions {

namespace {

// Go's json.Encoder output, as RIE renders errors: {"errorMessage":...,"errorType":...}\n
reply forbidden(std::string_view type, std::string_view message) {
  nlohmann::ordered_json body;
  body["errorMessage"] = message;
  body["errorType"] = type;
  return reply{403, body.dump() + "\n", nullptr, {}};
}

reply accepted() { return reply{202, "{\"status\":\"OK\"}\n", nullptr, {}}; }

reply not_allowed(std::string_view from, std::string_view to, std::string_view who) {
  return forbidden("Extension.InvalidExtensionState", "State transition from " + std::string(from) + " to " +
                                                          std::string(to) + " failed for extension " +
                                                          std::string(who) + ". Error: State transition is not allowed");
}

// 8-4-4-4-12 hex digits, as Go's uuid.Parse accepts them (without braces or a urn: prefix).
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool lists_feature(std::string_view list, std::string_view feature) {
  if (list.empty()) return false;
  for (std::string_view item : util::split(list, ',')) {
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == feature) return true;
  }
  return false;
}

} // namespace

const char* state_name(state s) {
  switch (s) {
  case state::started: return "Started";
  case state::registered: return "Registered";
  case state::ready: return "Ready";
  case state::running: return "Running";
  case state::init_error: return "InitError";
  case state::exit_error: return "ExitError";
  }
  return "Unknown";
}

registry::registry(function_metadata md, changed_callback changed)
    : m_metadata(std::move(md)), m_changed(std::move(changed)) {}

void registry::expect_external(std::string name) { m_expected.push_back(std::move(name)); }

registry::extension* registry::find(std::string_view id) {
  const auto it = m_by_id.find(id);
  return it == m_by_id.end() ? nullptr : &it->second;
}

reply registry::register_extension(std::string_view name, std::string_view accept_feature, std::string_view body) {
  if (name.empty()) return forbidden("Extension.InvalidExtensionName", "Empty extension name");
  std::vector<std::string> events;
  {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return forbidden("InvalidRequestFormat", "invalid JSON body: expected {\"events\":[...]}");
    if (const auto keys = doc.find("configurationKeys"); keys != doc.end() && keys->is_array() && !keys->empty())
      return forbidden("InvalidRequestFormat", "configurationKeys are deprecated; use environment variables instead");
    if (const auto list = doc.find("events"); list != doc.end() && !list->is_null()) {
      if (!list->is_array()) return forbidden("InvalidRequestFormat", "json: cannot unmarshal events: expected an array of strings");
      for (const auto& e : *list) {
        if (!e.is_string()) return forbidden("InvalidRequestFormat", "json: cannot unmarshal events: expected an array of strings");
        events.push_back(e.get<std::string>());
      }
    }
  }
  const bool external = std::find(m_expected.begin(), m_expected.end(), name) != m_expected.end();
  for (const auto& e : events) {
    // External extensions take INVOKE and SHUTDOWN; internal ones (in the runtime process) only INVOKE.
    // Under Lambda Managed Instances only SHUTDOWN.
    if ((e == "INVOKE" && !m_invoke_allowed) || (e != "INVOKE" && !(external && e == "SHUTDOWN")))
      return forbidden("Extension.InvalidEventType", e + ": ErrorInvalidEventType");
  }
  if (m_closed || !m_registration_open) return forbidden("Extension.RegistrationClosed", "Extension registration closed already");
  for (const auto& id : m_order) {
    const extension& x = m_by_id.at(id);
    if (x.info.name != name) continue;
    if (external && x.info.external)
      return not_allowed(state_name(x.info.state), "Registered", name);
    return forbidden("Extension.InvalidExtensionState", "Extension with this name already registered");
  }
  if (m_order.size() >= max_extensions)
    return forbidden("Extension.TooManyExtensions", "Extension limit (" + std::to_string(max_extensions) + ") reached");

  thread_local core::id_generator ids;
  extension x;
  x.info.name = std::string(name);
  x.info.id = ids.request_id();
  x.info.external = external;
  x.info.state = state::registered;
  for (const auto& e : events) {
    if (e == "INVOKE") x.info.invoke = true;
    if (e == "SHUTDOWN") x.info.shutdown = true;
  }
  const std::string id = x.info.id;
  m_by_id.emplace(id, std::move(x));
  m_order.push_back(id);

  nlohmann::ordered_json out;
  out["functionName"] = m_metadata.function_name;
  out["functionVersion"] = m_metadata.function_version;
  out["handler"] = m_metadata.handler;
  if (lists_feature(accept_feature, "accountId")) out["accountId"] = m_metadata.account_id;
  reply r{200, out.dump() + "\n", headers::identifier, id};
  if (m_changed) m_changed();
  return r;
}

registry::extension* registry::identify(std::optional<std::string_view> identifier, std::optional<reply>& refused,
                                        bool next_call) {
  if (!identifier || identifier->empty()) {
    refused = forbidden("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header");
    return nullptr;
  }
  if (!is_uuid(*identifier)) {
    refused = forbidden("Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier");
    return nullptr;
  }
  extension* x = find(*identifier);
  if (!x) {
    refused = next_call ? forbidden("Extension.UnknownExtensionIdentifier", "Unknown extension " + std::string(*identifier))
                        : forbidden("Extension.UnknownExtensionIdentifier", "Unknown Lambda-Extension-Identifier");
  }
  return x;
}

std::optional<reply> registry::next(std::optional<std::string_view> identifier, next_waiter waiter,
                                    std::optional<reply>& refused) {
  extension* x = identify(identifier, refused, true);
  if (!x) return std::nullopt;
  const state from = x->info.state;
  const bool may = from == state::registered || from == state::running || (from == state::ready && !x->waiter);
  if (m_closed || !may) {
    refused = not_allowed(state_name(from), "Ready", x->info.id);
    return std::nullopt;
  }
  x->info.state = state::ready;
  if (x->pending) {
    std::string json = std::move(*x->pending);
    x->pending.reset();
    return deliver(*x, std::move(json));
  }
  x->waiter = std::move(waiter);
  if (from != state::ready && m_changed) m_changed();
  return std::nullopt;
}

void registry::cancel_next(std::string_view identifier) {
  if (extension* x = find(identifier)) x->waiter = nullptr;
}

reply registry::deliver(extension& x, std::string json) {
  thread_local core::id_generator ids;
  x.info.state = state::running;
  return reply{200, std::move(json), headers::event_identifier, ids.request_id()};
}

void registry::queue(extension& x, std::string json) {
  if (x.info.state == state::ready && x.waiter) {
    auto waiter = std::move(x.waiter);
    x.waiter = nullptr;
    waiter(deliver(x, std::move(json)));
  } else {
    x.pending = std::move(json); // delivered by its next /event/next
  }
}

reply registry::report_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type, state to) {
  std::optional<reply> refused;
  if (!identifier || identifier->empty())
    return forbidden("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header");
  if (!is_uuid(*identifier)) return forbidden("Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier");
  if (!error_type || error_type->empty())
    return forbidden("Extension.MissingHeader", std::string(headers::function_error_type) + " not found");
  extension* x = identify(identifier, refused, false);
  if (!x) return *refused;
  const state from = x->info.state;
  // init/error belongs to init (an extension that registered and has not been given an event yet);
  // exit/error to any moment after registration.
  const bool may = from == state::registered || from == state::ready || (to == state::exit_error && from == state::running);
  if (m_closed || !may) return not_allowed(state_name(from), state_name(to), x->info.id);
  x->info.state = to;
  x->info.error_type = std::string(*error_type);
  if (x->waiter) {
    auto waiter = std::move(x->waiter);
    x->waiter = nullptr;
    waiter(std::nullopt);
  }
  if (m_changed) m_changed();
  return accepted();
}

reply registry::init_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type) {
  return report_error(identifier, error_type, state::init_error);
}

reply registry::exit_error(std::optional<std::string_view> identifier, std::optional<std::string_view> error_type) {
  return report_error(identifier, error_type, state::exit_error);
}

bool registry::externals_registered() const {
  for (const auto& name : m_expected) {
    const bool found = std::any_of(m_by_id.begin(), m_by_id.end(),
                                   [&](const auto& kv) { return kv.second.info.external && kv.second.info.name == name; });
    if (!found) return false;
  }
  return true;
}

bool registry::all_ready() const {
  return std::all_of(m_by_id.begin(), m_by_id.end(), [](const auto& kv) { return kv.second.info.state == state::ready; });
}

std::optional<extension_info> registry::failure() const {
  for (const auto& id : m_order) {
    const extension& x = m_by_id.at(id);
    if (x.info.state == state::init_error || x.info.state == state::exit_error) return x.info;
  }
  return std::nullopt;
}

bool registry::send_invoke(const invoke_event& e) {
  nlohmann::ordered_json ev;
  ev["eventType"] = "INVOKE";
  ev["deadlineMs"] = e.deadline_ms;
  ev["requestId"] = e.request_id;
  ev["invokedFunctionArn"] = e.invoked_function_arn;
  if (!e.trace_id.empty()) ev["tracing"] = {{"type", "X-Amzn-Trace-Id"}, {"value", e.trace_id}};
  const std::string json = ev.dump();
  bool any = false;
  for (const auto& id : m_order) {
    extension& x = m_by_id.at(id);
    if (!x.info.invoke || x.info.state == state::init_error || x.info.state == state::exit_error) continue;
    any = true;
    queue(x, json);
  }
  return any;
}

void registry::send_shutdown(const shutdown_event& e) {
  nlohmann::ordered_json ev;
  ev["eventType"] = "SHUTDOWN";
  ev["shutdownReason"] = e.reason;
  ev["deadlineMs"] = e.deadline_ms;
  const std::string json = ev.dump();
  for (const auto& id : m_order) {
    extension& x = m_by_id.at(id);
    if (!x.info.shutdown || x.info.state == state::init_error || x.info.state == state::exit_error) continue;
    queue(x, json);
  }
}

bool registry::any_subscribed_to_shutdown() const {
  return std::any_of(m_by_id.begin(), m_by_id.end(), [](const auto& kv) { return kv.second.info.shutdown; });
}

bool registry::has_internal() const {
  return std::any_of(m_by_id.begin(), m_by_id.end(), [](const auto& kv) { return !kv.second.info.external; });
}

std::vector<extension_info> registry::list() const {
  std::vector<extension_info> out;
  for (const auto& id : m_order) out.push_back(m_by_id.at(id).info);
  return out;
}

void registry::close() {
  if (m_closed) return;
  m_closed = true;
  for (auto& [id, x] : m_by_id) {
    if (!x.waiter) continue;
    auto waiter = std::move(x.waiter);
    x.waiter = nullptr;
    waiter(std::nullopt);
  }
}

} // namespace lemu::extensions
