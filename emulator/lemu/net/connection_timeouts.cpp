#include <lemu/net/connection_timeouts.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lemu::net {

namespace asio = boost::asio;

std::shared_ptr<connection_timeouts> connection_timeouts::create(const asio::any_io_executor& ex, timeout_limits limits) {
  return std::make_shared<connection_timeouts>(ex, limits);
}

connection_timeouts::connection_timeouts(const asio::any_io_executor& ex, timeout_limits limits)
    : m_limits(limits), m_timer(ex) {
  const auto shortest = std::min({limits.idle, limits.header, limits.body});
  m_period = std::clamp<clock::duration>(shortest / 4, std::chrono::milliseconds(50), std::chrono::seconds(1));
}

connection_timeouts::handle connection_timeouts::add(asio::ip::tcp::socket& socket, const boost::beast::flat_buffer& buffer) {
  m_connections.push_back(connection{&socket, &buffer, phase::waiting, clock::now(), std::nullopt});
  if (!m_armed && !m_stopped) arm();
  return std::prev(m_connections.end());
}

void connection_timeouts::set_phase(handle h, phase p) {
  h->current = p;
  h->since = clock::now();
  h->header_started.reset();
}

void connection_timeouts::remove(handle h) { m_connections.erase(h); }

void connection_timeouts::stop() {
  m_stopped = true;
  m_timer.cancel();
}

void connection_timeouts::arm() {
  m_armed = true;
  m_timer.expires_after(m_period);
  m_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->m_armed = false;
    if (ec || self->m_stopped) return;
    self->sweep();
    if (!self->m_connections.empty()) self->arm();
  });
}

void connection_timeouts::sweep() {
  const auto now = clock::now();
  for (auto& c : m_connections) {
    bool expired = false;
    const char* what = "";
    switch (c.current) {
    case phase::busy: break;
    case phase::body:
      expired = now - c.since > m_limits.body;
      what = "body";
      break;
    case phase::waiting: {
      boost::system::error_code ignored;
      const bool receiving = c.buffer->size() > 0 || c.socket->available(ignored) > 0;
      if (receiving && !c.header_started) c.header_started = now;
      if (c.header_started) {
        expired = now - *c.header_started > m_limits.header;
        what = "header";
      } else {
        expired = now - c.since > m_limits.idle;
        what = "idle";
      }
      break;
    }
    }
    if (!expired || !c.socket->is_open()) continue;
    spdlog::debug("connection closed: {} timeout", what);
    boost::system::error_code ignored;
    c.socket->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    c.socket->close(ignored);
    ++m_closed;
  }
}

} // namespace lemu::net
