#include <lemu/net/listener.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <memory>
#include <system_error>

namespace lemu::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::acceptor listen_on(const asio::any_io_executor& ex, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address " + host);
  const tcp::endpoint endpoint{address, port};
  tcp::acceptor acceptor(ex);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + host + ":" + std::to_string(port));
  return acceptor;
}

namespace {

// How many connections are open, and a timer the accept loop sleeps on while at the cap.
struct connection_gate {
  explicit connection_gate(const asio::any_io_executor& ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  std::size_t open = 0;
  asio::steady_timer wake;
  bool warned = false;
};

std::string peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  return ec ? std::string("?") : peer.address().to_string() + ":" + std::to_string(peer.port());
}

} // namespace

asio::awaitable<void> accept_connections(tcp::acceptor& acceptor, const bool& stopped, accept_options options,
                                         std::function<asio::awaitable<void>(tcp::socket)> session) {
  const std::string name(options.who);
  auto gate = std::make_shared<connection_gate>(acceptor.get_executor());
  for (;;) {
    while (options.max_connections != 0 && gate->open >= options.max_connections) {
      if (!gate->warned) {
        spdlog::warn("{}: {} connections open, the most allowed: new connections wait until one closes", name,
                     gate->open);
        gate->warned = true;
      }
      gate->wake.expires_at(asio::steady_timer::time_point::max());
      co_await gate->wake.async_wait(asio::as_tuple(asio::use_awaitable)); // cancelled when one closes
      if (stopped || !acceptor.is_open()) co_return;
    }
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped) co_return;
      spdlog::debug("{}: accept failed: {}", name, ec.message());
      continue;
    }
    if (spdlog::should_log(spdlog::level::debug)) spdlog::debug("{}: connection from {}", name, peer_of(socket));
    ++gate->open;
    asio::co_spawn(
        acceptor.get_executor(), [session, s = std::move(socket)]() mutable { return session(std::move(s)); },
        [name, gate](std::exception_ptr e) {
          --gate->open;
          gate->wake.cancel();
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("{}: connection failed: {}", name, ex.what());
          }
        });
  }
}

} // namespace lemu::net
