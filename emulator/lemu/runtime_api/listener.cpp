#include <lemu/runtime_api/listener.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <system_error>

namespace lemu::runtime_api {

namespace net = boost::asio;
using tcp = net::ip::tcp;

tcp::acceptor listen_on(const net::any_io_executor& ex, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address " + host);
  const tcp::endpoint endpoint{address, port};
  tcp::acceptor acceptor(ex);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + host + ":" + std::to_string(port));
  return acceptor;
}

net::awaitable<void> accept_connections(tcp::acceptor& acceptor, const bool& stopped, std::string_view who,
                                        std::function<net::awaitable<void>(tcp::socket)> session) {
  const std::string name(who);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (ec) {
      if (ec == net::error::operation_aborted || stopped) co_return;
      spdlog::debug("{}: accept failed: {}", name, ec.message());
      continue;
    }
    net::co_spawn(
        acceptor.get_executor(), [session, s = std::move(socket)]() mutable { return session(std::move(s)); },
        [name](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("{}: connection failed: {}", name, ex.what());
          }
        });
  }
}

} // namespace lemu::runtime_api
