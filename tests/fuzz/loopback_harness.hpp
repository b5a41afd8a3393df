#pragma once
// Feeds one fuzz input to a real lemu server over loopback, on one io_context in this thread: connect,
// write every byte, close the writing side, read until the server closes or a short deadline passes
// (a parked GET /next waits for ever by design), then stop the server and run the loop until it is idle.
// Whatever the bytes, the server must answer or close, and nothing may escape the event loop.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>

namespace lemu::fuzz {

// Sends `bytes` to 127.0.0.1:`port` and reads the answer; `stop` is called once the exchange is over.
inline void exchange(boost::asio::io_context& ioc, std::uint16_t port, std::string_view bytes, const std::function<void()>& stop,
                     std::chrono::milliseconds deadline = std::chrono::milliseconds(100)) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        tcp::socket socket(ioc);
        auto [ec] = co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::as_tuple(asio::use_awaitable));
        if (!ec) {
          co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), asio::as_tuple(asio::use_awaitable));
          boost::system::error_code ignored;
          socket.shutdown(tcp::socket::shutdown_send, ignored);
          asio::steady_timer timer(ioc, deadline);
          timer.async_wait([&socket](boost::system::error_code e) {
            boost::system::error_code ig;
            if (!e) socket.close(ig);
          });
          char buf[65536];
          for (;;) {
            auto [rec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            if (rec) break;
          }
          timer.cancel();
        }
        done = true;
        stop();
      },
      asio::detached);
  ioc.restart();
  ioc.run();
  if (!done) std::abort(); // the loop ran dry before the exchange ended: something was lost
}

} // namespace lemu::fuzz
