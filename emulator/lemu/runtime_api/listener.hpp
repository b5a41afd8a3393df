#pragma once
// What lemu's HTTP servers share (the Runtime API server and lemu serve's gateway::http_server): a
// listening socket opened at once, and the loop that accepts connections and runs one coroutine each.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lemu::runtime_api {

// Binds host:port (0: an ephemeral port) with SO_REUSEADDR and listens. Throws std::system_error naming the
// address ("invalid listen address X", "cannot listen on 127.0.0.1:3001: Address already in use").
boost::asio::ip::tcp::acceptor listen_on(const boost::asio::any_io_executor& ex, const std::string& host,
                                         std::uint16_t port);

// Accepts connections until the acceptor is closed (or `stopped` is set), running `session` for each as
// its own coroutine; a session that throws is logged as "<who>: connection failed: <what>". The caller
// keeps the acceptor, `stopped` and what `session` refers to alive until the loop ends (hold a
// shared_ptr in `session`).
boost::asio::awaitable<void>
accept_connections(boost::asio::ip::tcp::acceptor& acceptor, const bool& stopped, std::string_view who,
                   std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)> session);

} // namespace lemu::runtime_api
