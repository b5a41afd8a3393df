#include <lemu/app/shutdown_phase.hpp>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>

namespace lemu::app {

namespace asio = boost::asio;

const char* to_string(shutdown_reason r) {
  switch (r) {
  case shutdown_reason::spindown: return "SPINDOWN";
  case shutdown_reason::timeout: return "TIMEOUT";
  case shutdown_reason::failure: return "FAILURE";
  }
  return "SPINDOWN";
}

namespace {

bool running(const std::shared_ptr<process::child>& c) { return c && c->running(); }

std::int64_t epoch_ms(std::chrono::steady_clock::time_point at) {
  const auto from_now = at - std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + from_now).time_since_epoch()).count();
}

class phase : public std::enable_shared_from_this<phase> {
public:
  phase(asio::any_io_executor ex, environment_processes parts) : m_parts(std::move(parts)), m_timer(ex) {}

  void begin(shutdown_reason reason, const shutdown_limits& limits) {
    auto& registry = m_parts.server->extensions();
    const bool external = !m_parts.extensions.empty();
    const bool internal = registry.has_internal();
    const auto limit = external ? limits.with_external : limits.internal_only;
    const auto runtime_limit = external ? (internal ? limits.runtime_with_both : limits.runtime_with_external) : limit;
    const auto deadline = std::chrono::steady_clock::now() + limit;

    auto self = shared_from_this();
    if (running(m_parts.runtime)) {
      m_parts.runtime->on_exit([self](core::process_exit) { self->runtime_exited(); });
      m_parts.runtime->terminate(runtime_limit);
    }
    for (auto& x : m_parts.extensions) {
      if (running(x.child)) x.child->on_exit([self](core::process_exit) { self->check(); });
    }
    registry.send_shutdown({to_string(reason), epoch_ms(deadline)});
    // What the subscribers have not had yet goes now, ahead of the deadline.
    if (m_parts.hub) m_parts.hub->flush(deadline - std::chrono::milliseconds(100), {});
    m_timer.expires_at(deadline);
    m_timer.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->deadline_passed();
    });
    if (!running(m_parts.runtime)) runtime_exited();
    check();
  }

private:
  // Extensions that cannot hear SHUTDOWN have nothing to finish: they go with the runtime.
  void runtime_exited() {
    std::vector<std::string> subscribed;
    for (const auto& x : m_parts.server->extensions().list()) {
      if (x.shutdown) subscribed.push_back(x.name);
    }
    for (auto& x : m_parts.extensions) {
      if (running(x.child) && std::find(subscribed.begin(), subscribed.end(), x.name) == subscribed.end()) x.child->kill();
    }
    check();
  }

  void deadline_passed() {
    if (running(m_parts.runtime)) m_parts.runtime->kill();
    for (auto& x : m_parts.extensions) {
      if (running(x.child)) x.child->kill();
    }
    check();
  }

  void check() {
    if (m_done || running(m_parts.runtime)) return;
    if (std::any_of(m_parts.extensions.begin(), m_parts.extensions.end(), [](const auto& x) { return running(x.child); })) return;
    m_done = true;
    m_timer.cancel();
    m_parts.server->stop();
    if (m_parts.hub) m_parts.hub->close();
    // Break the cycles (each child's exit callback holds this phase).
    if (m_parts.runtime) m_parts.runtime->on_exit(nullptr);
    for (auto& x : m_parts.extensions) {
      if (x.child) x.child->on_exit(nullptr);
    }
  }

  environment_processes m_parts;
  asio::steady_timer m_timer;
  bool m_done = false;
};

} // namespace

bool needs_shutdown_phase(const environment_processes& parts) {
  return parts.server && (!parts.extensions.empty() || parts.server->extensions().has_internal());
}

void shut_down(asio::any_io_executor ex, environment_processes parts, shutdown_reason reason, const shutdown_limits& limits) {
  auto p = std::make_shared<phase>(std::move(ex), std::move(parts));
  p->begin(reason, limits);
}

} // namespace lemu::app
