// Runtime API requests (any bytes) through the real server of an execution environment: the routes,
// the request parser, the body limits, /next's long poll and the broker's state machine. An invocation
// "fuzz-request-id" is waiting, so /next, /response and /error for it reach the broker.
#include "loopback_harness.hpp"

#include <lemu/runtime_api/server.hpp>

#include <chrono>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static boost::asio::io_context ioc(1);
  lemu::runtime_api::broker::callbacks quiet; // every callback optional
  auto server = lemu::runtime_api::server::create(ioc.get_executor(), quiet);
  server->start();
  lemu::core::invocation inv;
  inv.request_id = "fuzz-request-id";
  inv.payload = "{\"fuzz\":true}";
  inv.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fuzz";
  inv.timeout = std::chrono::seconds(3);
  server->broker().submit(std::move(inv));
  lemu::fuzz::exchange(ioc, server->port(), {reinterpret_cast<const char*>(data), size}, [&] { server->stop(); });
  return 0;
}
