#pragma once
// A memory-only store, its service and a virtual clock on one io_context, for the protocol tests.
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/wire.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace lemu::sqs::testing {

using json = nlohmann::ordered_json;

inline constexpr std::int64_t start_ms = 1764633600000; // 2025-12-02T00:00:00Z

struct service_fixture {
  boost::asio::io_context io;
  virtual_clock clk{io.get_executor(), start_ms};
  store st{clk, store_options{"us-east-1", "000000000000", "http://127.0.0.1:9324", "AIDAIENQZJOLO23YVJ4VO"}};
  service svc{io.get_executor(), st, clk};

  // Sends the request and runs the io_context until it is answered (moving the virtual clock when nothing
  // else is left to do); nullopt when it never is.
  std::optional<gateway::http_response> call(const gateway::http_request& r, bool advance_clock = true) {
    std::optional<gateway::http_response> out;
    svc.handle(r, [&out](gateway::http_response a) { out = std::move(a); });
    for (int i = 0; i < 10000 && !out; ++i) {
      io.restart();
      io.poll();
      if (out) break;
      if (!advance_clock || !clk.advance()) {
        io.restart();
        io.poll();
        break;
      }
    }
    return out;
  }

  static gateway::http_request query(const std::string& body, const std::string& target = "/") {
    gateway::http_request r;
    r.method = "POST";
    r.target = target;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    r.body = body;
    r.source_ip = "127.0.0.1";
    return r;
  }

  static gateway::http_request json_request(const std::string& action, const std::string& body) {
    gateway::http_request r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "AmazonSQS." + action}};
    r.body = body;
    r.source_ip = "127.0.0.1";
    return r;
  }

  // The JSON protocol's answer as a document (the test fails when it is not one).
  json call_json(const std::string& action, const json& input, unsigned expected_status = 200) {
    auto a = call(json_request(action, input.dump()));
    EXPECT_TRUE(a.has_value());
    if (!a) return json();
    EXPECT_EQ(a->status, expected_status) << a->body;
    return json::parse(a->body);
  }

  std::string create(const std::string& name, const json& attributes = json::object()) {
    json in = {{"QueueName", name}};
    if (!attributes.empty()) in["Attributes"] = attributes;
    return call_json("CreateQueue", in).value("QueueUrl", "");
  }
};

} // namespace lemu::sqs::testing
