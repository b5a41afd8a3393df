#pragma once
// Header, body and idle timeouts for the connections of a server open to clients (lemu serve), without a
// timer per request: each connection says which phase it is in, and one sweeper timer per server closes
// those that stayed too long in it. Closing the socket cancels the read the connection is waiting in.
//
//   waiting  for a request: closed after `idle` with nothing received, or after `header` once the first
//            bytes of a request header came (a client trickling its header is cut off)
//   body     reading a request body: closed after `body`
//   busy     the request is being answered (an invocation takes as long as it takes): no timeout
//
// Precision: the sweeper runs every quarter of the shortest timeout (at most once a second, at least every
// 50 ms), so a connection is closed at most that much after its limit. Single-threaded.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <optional>

namespace lemu::net {

struct timeout_limits {
  using duration = std::chrono::steady_clock::duration;
  duration idle = std::chrono::seconds(60);
  duration header = std::chrono::seconds(10);
  duration body = std::chrono::seconds(60);
};

class connection_timeouts : public std::enable_shared_from_this<connection_timeouts> {
public:
  using clock = std::chrono::steady_clock;
  enum class phase { waiting, body, busy };

  struct connection {
    boost::asio::ip::tcp::socket* socket;
    const boost::beast::flat_buffer* buffer; // bytes read but not yet parsed
    phase current = phase::waiting;
    clock::time_point since;                 // when the phase began
    std::optional<clock::time_point> header_started;
  };
  using handle = std::list<connection>::iterator;

  static std::shared_ptr<connection_timeouts> create(const boost::asio::any_io_executor& ex, timeout_limits limits);
  connection_timeouts(const boost::asio::any_io_executor& ex, timeout_limits limits);

  handle add(boost::asio::ip::tcp::socket& socket, const boost::beast::flat_buffer& buffer);
  void set_phase(handle h, phase p);
  void remove(handle h);
  void stop(); // the sweeper ends; connections are left as they are

  std::size_t closed_by_timeout() const { return m_closed; }

private:
  void arm();
  void sweep();

  timeout_limits m_limits;
  clock::duration m_period;
  boost::asio::steady_timer m_timer;
  std::list<connection> m_connections;
  bool m_armed = false;
  bool m_stopped = false;
  std::size_t m_closed = 0;
};

} // namespace lemu::net
