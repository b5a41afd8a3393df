// net: the one response-head formatter, transfer codings, the capped body, the listener (addresses, the
// connection cap) and the connection timeouts, over real loopback sockets.
#include <lemu/net/capped_body.hpp>
#include <lemu/net/connection_timeouts.hpp>
#include <lemu/net/listener.hpp>
#include <lemu/net/response_head.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <system_error>

namespace lemu::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TEST(response_head, is_formatted_exactly) {
  std::string head;
  begin_head(head, 202);
  add_header(head, "Content-Type", "application/json");
  end_head(head, 16, true);
  EXPECT_EQ(head, "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n");
  begin_head(head, 413);
  end_head(head, 0, false);
  EXPECT_EQ(head, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reason_phrase(404), "Not Found");
}

TEST(transfer_encoding, only_chunked_is_understood_as_go_does) {
  EXPECT_TRUE(supported_transfer_encoding("chunked"));
  EXPECT_TRUE(supported_transfer_encoding(" Chunked "));
  EXPECT_FALSE(supported_transfer_encoding("gzip, chunked"));
  EXPECT_FALSE(supported_transfer_encoding("identity"));
  EXPECT_FALSE(supported_transfer_encoding(""));
  EXPECT_EQ(unsupported_transfer_encoding_response(),
            "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "Unsupported transfer encoding");
}

TEST(capped_body, keeps_the_cap_and_counts_everything) {
  capped_body::value_type v;
  v.cap = 4;
  capped_body::append_capped(v, "abc", 3);
  capped_body::append_capped(v, "defgh", 5);
  EXPECT_EQ(v.data, "abcd");
  EXPECT_EQ(v.total, 8u);
}

TEST(listen_on, names_the_address_when_it_fails) {
  asio::io_context ioc;
  try {
    (void)listen_on(ioc.get_executor(), "not-an-address", 0);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("invalid listen address not-an-address"));
  }
  auto first = listen_on(ioc.get_executor(), "127.0.0.1", 0);
  const auto port = first.local_endpoint().port();
  try {
    (void)listen_on(ioc.get_executor(), "127.0.0.1", port);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("cannot listen on 127.0.0.1:" + std::to_string(port) + ": "));
  }
}

// Runs the io_context until `done` or 10 s.
void run_until(asio::io_context& ioc, const bool& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(std::chrono::milliseconds(50));
}

TEST(accept_connections, holds_at_most_the_cap_open_at_once) {
  asio::io_context ioc;
  auto acceptor = std::make_shared<tcp::acceptor>(listen_on(ioc.get_executor(), "127.0.0.1", 0));
  const auto port = acceptor->local_endpoint().port();
  bool stopped = false;
  int sessions = 0;
  auto release = std::make_shared<asio::steady_timer>(ioc, asio::steady_timer::time_point::max());
  asio::co_spawn(ioc, accept_connections(*acceptor, stopped, accept_options{"test", 2}, [&, release](tcp::socket s) -> asio::awaitable<void> {
                   ++sessions;
                   tcp::socket mine = std::move(s);
                   co_await release->async_wait(asio::as_tuple(asio::use_awaitable)); // held open until released
                 }),
                 asio::detached);
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(ioc);
    clients.back().connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // The loop runs a while: two sessions start, the third connection waits in the kernel's backlog.
  for (int i = 0; i < 50; ++i) ioc.run_one_for(std::chrono::milliseconds(10));
  EXPECT_EQ(sessions, 2) << "a third connection was accepted beyond the cap";
  release->cancel(); // the two sessions end: the third is accepted
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sessions < 3 && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(std::chrono::milliseconds(10));
  EXPECT_EQ(sessions, 3);
  stopped = true;
  acceptor->close();
  release->cancel();
  ioc.run_for(std::chrono::milliseconds(100));
}

TEST(connection_timeouts, closes_an_idle_connection) {
  asio::io_context ioc;
  auto acceptor = listen_on(ioc.get_executor(), "127.0.0.1", 0);
  tcp::socket client(ioc);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  boost::beast::flat_buffer buffer;
  auto t = connection_timeouts::create(ioc.get_executor(), timeout_limits{std::chrono::milliseconds(100), std::chrono::seconds(10), std::chrono::seconds(10)});
  const auto h = t->add(server, buffer);
  bool closed = false;
  char byte;
  server.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { closed = ec.failed(); });
  run_until(ioc, closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(t->closed_by_timeout(), 1u);
  t->remove(h);
  t->stop();
}

} // namespace
} // namespace lemu::net
