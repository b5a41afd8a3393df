#pragma once
// What every lemu HTTP server shares (the Runtime API of each execution environment, and lemu serve's
// Invoke API and front door): a listening socket opened at once, and the loop that accepts connections and
// runs one coroutine each, with an optional cap on how many are open at once.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lemu::net {

// Binds host:port (0: an ephemeral port) with SO_REUSEADDR and listens. Throws std::system_error naming the
// address ("invalid listen address X", "cannot listen on 127.0.0.1:3001: Address already in use").
boost::asio::ip::tcp::acceptor listen_on(const boost::asio::any_io_executor& ex, const std::string& host,
                                         std::uint16_t port);

struct accept_options {
  std::string_view who;            // names the server in log lines: "runtime api", "serve"
  std::size_t max_connections = 0; // open at once, at most; 0: no cap. At the cap lemu stops accepting
                                   // (the kernel's backlog holds the next ones) until a connection closes.
};

// Accepts connections until the acceptor is closed (or `stopped` is set), running `session` for each as
// its own coroutine; a session that throws is logged as "<who>: connection failed: <what>". The caller
// keeps the acceptor, `stopped` and what `session` refers to alive until the loop ends (hold a shared_ptr
// in `session`).
boost::asio::awaitable<void>
accept_connections(boost::asio::ip::tcp::acceptor& acceptor, const bool& stopped, accept_options options,
                   std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)> session);

} // namespace lemu::net
