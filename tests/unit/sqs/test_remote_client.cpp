// The remote queue client against a fake SQS endpoint: a small Beast HTTP server on 127.0.0.1, run inside
// the test on the client's io_context (one thread), answering canned JSON-protocol answers and recording
// every request. Every wait runs the io_context until a condition holds or a deadline passes; nothing
// sleeps.
//
// Covered: GetQueueAttributes when opened (info()), the requests' target, content type, body fields and
// SigV4 signature (recomputed), the session token, ReceiveMessage's answer mapped into received_message
// (system attributes, String and Binary message attributes), keep-alive reuse and a kept-alive
// connection (or several) the server closed, DeleteMessageBatch in chunks of 10 and its failed entries,
// ChangeMessageVisibility, the endpoint's errors (x-amzn-query-error, __type only, not SQS at all), a
// refused connection, a timeout, an oversized answer, stop() ending a waiting receive, a destroyed client
// calling nothing, only the endpoint contacted, options refused.
#include <lemu/sqs/http_client.hpp>
#include <lemu/sqs/remote_client.hpp>
#include <lemu/sqs/sigv4.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace lemu::sqs {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct recorded {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t connection = 0; // which connection (1, 2, ...) it came on
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (boost::beast::iequals(n, name)) return v;
    }
    return "";
  }
  std::string action() const {
    const std::string t = header("X-Amz-Target");
    return t.rfind("AmazonSQS.", 0) == 0 ? t.substr(10) : t;
  }
  json body_json() const { return json::parse(body, nullptr, false); }
};

struct canned {
  unsigned status = 200;
  std::string body = "{}";
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;          // never answer (until the server closes)
  bool close_after = false;   // close the connection after answering, without saying so
  static canned json_body(const json& j) { return canned{200, j.dump(), {}}; }
};

// The fake SQS endpoint.
class fake_endpoint {
public:
  explicit fake_endpoint(asio::io_context& ioc) : m_ioc(ioc), m_acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc, accept_loop(), asio::detached);
  }
  ~fake_endpoint() { close(); }

  void close() {
    boost::system::error_code ec;
    m_acceptor.close(ec);
    for (auto& s : m_sockets) s.close(ec);
    for (auto& t : m_hangs) t.cancel();
  }

  unsigned short port() const { return m_acceptor.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  std::function<canned(const recorded&)> answer = [](const recorded&) { return canned{}; };
  std::vector<recorded> requests;
  std::size_t connections = 0;

private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await m_acceptor.async_accept(use_tuple);
      if (ec) co_return;
      m_sockets.push_back(std::move(socket));
      asio::co_spawn(m_ioc, serve(m_sockets.back(), ++connections), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket& socket, std::size_t number) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
      if (ec) co_return;
      recorded r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.body = req.body();
      r.connection = number;
      for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      requests.push_back(r);
      canned c = answer(r);
      if (c.hang) {
        m_hangs.emplace_back(m_ioc, steady::time_point::max());
        co_await m_hangs.back().async_wait(use_tuple);
        co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(c.status), 11};
      res.set(http::field::content_type, "application/x-amz-json-1.0");
      for (const auto& [name, value] : c.headers) res.set(name, value);
      res.body() = c.body;
      res.prepare_payload();
      res.keep_alive(true);
      auto [wec, written] = co_await http::async_write(socket, res, use_tuple);
      if (wec) co_return;
      if (c.close_after) {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        co_return;
      }
    }
  }

  asio::io_context& m_ioc;
  tcp::acceptor m_acceptor;
  std::list<tcp::socket> m_sockets;
  std::list<asio::steady_timer> m_hangs;
};

const sigv4::credentials test_credentials{"AKIDTEST", "secret/KEY+test", "", "test"};

bool run_until(asio::io_context& ioc, const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = steady::now() + limit;
  while (!done()) {
    if (steady::now() >= deadline) return false;
    ioc.restart();
    ioc.run_one_for(20ms);
  }
  return true;
}

// Checks the request's SigV4 Authorization: well-formed, and the signature right for what was sent.
void expect_signed(const recorded& r, const sigv4::credentials& c, const std::string& region) {
  const std::string auth = r.header("Authorization");
  static const std::regex shape(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([a-z0-9-]+)/sqs/aws4_request, SignedHeaders=([a-z0-9;-]+), "
      "Signature=[0-9a-f]{64}");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(auth, m, shape)) << auth;
  EXPECT_EQ(m[1], c.access_key_id);
  EXPECT_EQ(m[3], region);
  const std::string date = r.header("X-Amz-Date");
  ASSERT_TRUE(std::regex_match(date, std::regex("\\d{8}T\\d{6}Z"))) << date;
  EXPECT_EQ(m[2], date.substr(0, 8));
  // Recompute it from the headers it names.
  sigv4::request again{r.method, r.target, "", {}, r.body};
  std::string names = m[4];
  std::vector<std::string> signed_names;
  for (std::size_t start = 0; start <= names.size();) {
    const std::size_t semi = std::min(names.find(';', start), names.size());
    signed_names.push_back(names.substr(start, semi - start));
    start = semi + 1;
  }
  for (const auto& n : signed_names) again.headers.emplace_back(n, r.header(n));
  EXPECT_EQ(sigv4::sign(again, c, {date, region, "sqs"}).authorization, auth);
  EXPECT_THAT(signed_names, ::testing::IsSupersetOf({"host", "x-amz-date", "x-amz-target", "content-type"}));
}

struct RemoteQueue : ::testing::Test {
  asio::io_context ioc;
  fake_endpoint sqs{ioc};
  std::string queue_url = "http://127.0.0.1/123456789012/orders";

  remote_options options() {
    remote_options o;
    o.endpoint = sqs.url();
    o.queue_url = queue_url;
    o.region = "eu-west-1";
    o.credentials = test_credentials;
    return o;
  }

  json attributes_answer(int visibility = 45, bool fifo = false) {
    return {{"Attributes",
             {{"QueueArn", "arn:aws:sqs:eu-west-1:123456789012:orders"},
              {"VisibilityTimeout", std::to_string(visibility)},
              {"FifoQueue", fifo ? "true" : "false"}}}};
  }

  std::unique_ptr<queue_client> open(remote_options o) {
    std::optional<result<std::unique_ptr<queue_client>>> opened;
    open_remote_queue(ioc.get_executor(), std::move(o), [&](result<std::unique_ptr<queue_client>> r) { opened.emplace(std::move(r)); });
    EXPECT_TRUE(run_until(ioc, [&] { return opened.has_value(); }));
    if (!opened) return nullptr;
    EXPECT_TRUE(opened->ok()) << opened->err().code << ": " << opened->err().message;
    if (!opened->ok()) return nullptr;
    return std::move(opened->value());
  }

  result<std::vector<received_message>> receive(queue_client& q, int max, std::int64_t wait_ms) {
    std::optional<result<std::vector<received_message>>> got;
    q.receive(max, wait_ms, [&](result<std::vector<received_message>> r) { got.emplace(std::move(r)); });
    EXPECT_TRUE(run_until(ioc, [&] { return got.has_value(); }, 15s));
    if (!got) return error{"TestTimeout", "no answer"};
    return std::move(*got);
  }

  status delete_all(queue_client& q, std::vector<std::string> handles) {
    std::optional<status> got;
    q.delete_messages(std::move(handles), [&](status s) { got.emplace(std::move(s)); });
    EXPECT_TRUE(run_until(ioc, [&] { return got.has_value(); }));
    return got ? *got : status(error{"TestTimeout", "no answer"});
  }
};

TEST_F(RemoteQueue, OpeningAsksForTheQueueAttributesAndFillsTheInfo) {
  sqs.answer = [&](const recorded&) { return canned::json_body(attributes_answer(45)); };
  auto q = open(options());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->info().name, "orders");
  EXPECT_EQ(q->info().url, queue_url);
  EXPECT_EQ(q->info().region, "eu-west-1");
  EXPECT_EQ(q->info().arn, "arn:aws:sqs:eu-west-1:123456789012:orders");
  EXPECT_EQ(q->info().visibility_timeout_s, 45);
  EXPECT_FALSE(q->info().fifo);

  ASSERT_EQ(sqs.requests.size(), 1u);
  const recorded& r = sqs.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.header("X-Amz-Target"), "AmazonSQS.GetQueueAttributes");
  EXPECT_EQ(r.header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(sqs.port()));
  EXPECT_EQ(r.header("X-Amz-Security-Token"), "");
  expect_signed(r, test_credentials, "eu-west-1");
  const json body = r.body_json();
  EXPECT_EQ(body["QueueUrl"], queue_url);
  EXPECT_EQ(body["AttributeNames"], json::array({"QueueArn", "VisibilityTimeout", "FifoQueue"}));
}

TEST_F(RemoteQueue, ReceiveAsksForEveryAttributeAndMapsTheMessages) {
  sqs.answer = [&](const recorded& r) {
    if (r.action() == "GetQueueAttributes") return canned::json_body(attributes_answer(30, true));
    return canned::json_body(
        {{"Messages",
          {{{"MessageId", "m-1"},
            {"ReceiptHandle", "rh-1"},
            {"MD5OfBody", "5d41402abc4b2a76b9719d911017c592"},
            {"Body", "hello"},
            {"Attributes",
             {{"ApproximateReceiveCount", "3"}, {"SentTimestamp", "1700000000000"}, {"MessageGroupId", "g"},
              {"SequenceNumber", "18849496460467696128"}}},
            {"MD5OfMessageAttributes", "0123456789abcdef0123456789abcdef"},
            {"MessageAttributes",
             {{"Author", {{"DataType", "String"}, {"StringValue", "John"}}},
              {"Blob", {{"DataType", "Binary"}, {"BinaryValue", "AAEC/w=="}}},
              {"Count", {{"DataType", "Number.int"}, {"StringValue", "7"}}}}}},
           {{"MessageId", "m-2"}, {"ReceiptHandle", "rh-2"}, {"MD5OfBody", "x"}, {"Body", ""}}}}});
  };
  auto q = open(options());
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->info().fifo);
  auto got = receive(*q, 10, 20000);
  ASSERT_TRUE(got.ok()) << got.err().code << ": " << got.err().message;
  ASSERT_EQ(got.value().size(), 2u);
  const received_message& m = got.value()[0];
  EXPECT_EQ(m.message_id, "m-1");
  EXPECT_EQ(m.receipt_handle, "rh-1");
  EXPECT_EQ(m.body, "hello");
  EXPECT_EQ(m.md5_of_body, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(m.md5_of_attributes, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(m.receive_count, 3u);
  EXPECT_EQ(m.system.at("SentTimestamp"), "1700000000000");
  EXPECT_EQ(m.system.at("MessageGroupId"), "g");
  EXPECT_EQ(m.system.at("SequenceNumber"), "18849496460467696128");
  ASSERT_EQ(m.attributes.size(), 3u);
  EXPECT_EQ(m.attributes.at("Author").data_type, "String");
  EXPECT_EQ(m.attributes.at("Author").string_value, "John");
  EXPECT_EQ(m.attributes.at("Blob").data_type, "Binary");
  EXPECT_EQ(m.attributes.at("Blob").binary_value, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(m.attributes.at("Count").string_value, "7");
  EXPECT_EQ(got.value()[1].message_id, "m-2");
  EXPECT_TRUE(got.value()[1].attributes.empty());

  ASSERT_EQ(sqs.requests.size(), 2u);
  const recorded& r = sqs.requests[1];
  EXPECT_EQ(r.header("X-Amz-Target"), "AmazonSQS.ReceiveMessage");
  expect_signed(r, test_credentials, "eu-west-1");
  const json body = r.body_json();
  EXPECT_EQ(body["QueueUrl"], queue_url);
  EXPECT_EQ(body["MaxNumberOfMessages"], 10);
  EXPECT_EQ(body["WaitTimeSeconds"], 20);
  EXPECT_EQ(body["AttributeNames"], json::array({"All"}));
  EXPECT_EQ(body["MessageSystemAttributeNames"], json::array({"All"}));
  EXPECT_EQ(body["MessageAttributeNames"], json::array({"All"}));
  // Both went over one kept-alive connection.
  EXPECT_EQ(sqs.connections, 1u);
  EXPECT_EQ(r.connection, 1u);

  // An empty answer ({} or no Messages) is no message; the wait is rounded up to whole seconds.
  sqs.answer = [](const recorded&) { return canned{}; };
  auto none = receive(*q, 3, 1500);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
  EXPECT_EQ(sqs.requests.back().body_json()["WaitTimeSeconds"], 2);
  EXPECT_EQ(sqs.requests.back().body_json()["MaxNumberOfMessages"], 3);
}

TEST_F(RemoteQueue, ABadBinaryValueOrAnAnswerThatIsNotJsonIsAnError) {
  sqs.answer = [](const recorded&) {
    return canned::json_body({{"Messages",
                               {{{"MessageId", "m"},
                                 {"ReceiptHandle", "r"},
                                 {"Body", "b"},
                                 {"MessageAttributes", {{"B", {{"DataType", "Binary"}, {"BinaryValue", "not base64!"}}}}}}}}});
  };
  auto q = remote_queue(ioc.get_executor(), options());
  auto got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("not base64"));

  sqs.answer = [](const recorded&) { return canned{200, "<xml/>", {}}; };
  got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("not a JSON object"));
}

TEST_F(RemoteQueue, RemoteQueueWithoutOpeningTakesTheInfoFromTheUrl) {
  remote_options o = options();
  o.queue_url = "http://127.0.0.1/000000000000/jobs.fifo";
  auto q = remote_queue(ioc.get_executor(), o);
  EXPECT_EQ(q->info().name, "jobs.fifo");
  EXPECT_TRUE(q->info().fifo);
  EXPECT_EQ(q->info().arn, "arn:aws:sqs:eu-west-1:000000000000:jobs.fifo");
  EXPECT_EQ(q->info().visibility_timeout_s, 30);
  EXPECT_TRUE(sqs.requests.empty()); // nothing contacted
}

TEST_F(RemoteQueue, DeletesGoInBatchesOfTenAndAFailedEntryIsTheError) {
  sqs.answer = [](const recorded& r) {
    const json body = r.body_json();
    json successful = json::array(), failed = json::array();
    for (const auto& e : body["Entries"]) {
      if (e["ReceiptHandle"] == "rh-13") {
        failed.push_back({{"Id", e["Id"]}, {"SenderFault", true}, {"Code", "ReceiptHandleIsInvalid"},
                          {"Message", "The input receipt handle is invalid."}});
      } else {
        successful.push_back({{"Id", e["Id"]}});
      }
    }
    return canned::json_body({{"Successful", successful}, {"Failed", failed}});
  };
  auto q = remote_queue(ioc.get_executor(), options());
  std::vector<std::string> handles;
  for (int i = 0; i < 23; ++i) handles.push_back("rh-" + std::to_string(i));
  const status st = delete_all(*q, handles);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, "ReceiptHandleIsInvalid");
  EXPECT_EQ(st->message, "The input receipt handle is invalid.");

  ASSERT_EQ(sqs.requests.size(), 3u);
  std::vector<std::string> sent;
  std::vector<std::size_t> sizes;
  for (const recorded& r : sqs.requests) {
    EXPECT_EQ(r.header("X-Amz-Target"), "AmazonSQS.DeleteMessageBatch");
    expect_signed(r, test_credentials, "eu-west-1");
    const json body = r.body_json();
    EXPECT_EQ(body["QueueUrl"], queue_url);
    sizes.push_back(body["Entries"].size());
    std::set<std::string> ids;
    for (const auto& e : body["Entries"]) {
      sent.push_back(e["ReceiptHandle"]);
      ids.insert(e["Id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), body["Entries"].size()); // distinct ids in a batch
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 10, 10}));
  std::sort(sent.begin(), sent.end());
  std::sort(handles.begin(), handles.end());
  EXPECT_EQ(sent, handles);

  // All deleted: no error.
  sqs.requests.clear();
  EXPECT_FALSE(delete_all(*q, {"rh-1", "rh-2"}));
  EXPECT_EQ(sqs.requests.size(), 1u);
  // Nothing to delete: nothing sent.
  EXPECT_FALSE(delete_all(*q, {}));
  EXPECT_EQ(sqs.requests.size(), 1u);
}

TEST_F(RemoteQueue, ChangeVisibilitySendsTheHandleAndTheTimeout) {
  auto q = remote_queue(ioc.get_executor(), options());
  std::optional<status> got;
  q->change_visibility("rh-9", 120, [&](status s) { got.emplace(s); });
  ASSERT_TRUE(run_until(ioc, [&] { return got.has_value(); }));
  EXPECT_FALSE(*got);
  ASSERT_EQ(sqs.requests.size(), 1u);
  EXPECT_EQ(sqs.requests[0].header("X-Amz-Target"), "AmazonSQS.ChangeMessageVisibility");
  const json body = sqs.requests[0].body_json();
  EXPECT_EQ(body["QueueUrl"], queue_url);
  EXPECT_EQ(body["ReceiptHandle"], "rh-9");
  EXPECT_EQ(body["VisibilityTimeout"], 120);
}

TEST_F(RemoteQueue, TheEndpointsErrorsBecomeSqsErrors) {
  // With the Query code in x-amzn-query-error, as AWS answers.
  sqs.answer = [](const recorded&) {
    return canned{400,
                  R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})",
                  {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}};
  };
  std::optional<result<std::unique_ptr<queue_client>>> opened;
  open_remote_queue(ioc.get_executor(), options(), [&](result<std::unique_ptr<queue_client>> r) { opened.emplace(std::move(r)); });
  ASSERT_TRUE(run_until(ioc, [&] { return opened.has_value(); }));
  ASSERT_FALSE(opened->ok());
  EXPECT_EQ(opened->err().code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(opened->err().message, "The specified queue does not exist.");
  EXPECT_EQ(opened->err().http_status, 400u);
  EXPECT_TRUE(opened->err().sender_fault);

  auto q = remote_queue(ioc.get_executor(), options());
  // Only __type (and "Message"), as some emulators answer.
  sqs.answer = [](const recorded&) {
    return canned{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException","Message":"bad signature"})", {}};
  };
  auto got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "InvalidSignatureException");
  EXPECT_EQ(got.err().message, "bad signature");

  // Something that is not SQS at all.
  sqs.answer = [](const recorded&) { return canned{502, "<html>Bad Gateway</html>", {}}; };
  got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("HTTP 502"));
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("Bad Gateway"));
  EXPECT_EQ(got.err().http_status, 502u);
}

TEST_F(RemoteQueue, NothingListeningIsARequestErrorSayingSo) {
  remote_options o = options();
  const std::string url = sqs.url();
  sqs.close(); // the port is free now
  o.endpoint = url;
  auto q = remote_queue(ioc.get_executor(), o);
  auto got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("ReceiveMessage"));
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("cannot connect to 127.0.0.1:"));
}

TEST_F(RemoteQueue, AnEndpointThatDoesNotAnswerTimesOut) {
  sqs.answer = [](const recorded&) {
    canned c;
    c.hang = true;
    return c;
  };
  remote_options o = options();
  o.timeout_margin = 300ms;
  auto q = remote_queue(ioc.get_executor(), o);
  const auto start = steady::now();
  auto got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("no answer within 300 ms"));
  EXPECT_GE(steady::now() - start, 250ms);
}

TEST_F(RemoteQueue, AnOversizedAnswerIsRefused) {
  sqs.answer = [](const recorded&) {
    return canned::json_body({{"Messages", {{{"MessageId", "m"}, {"ReceiptHandle", "r"}, {"Body", std::string(5000, 'x')}}}}});
  };
  remote_options o = options();
  o.body_limit = 4096;
  auto q = remote_queue(ioc.get_executor(), o);
  auto got = receive(*q, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.err().code, "RequestError");
  EXPECT_THAT(got.err().message, ::testing::HasSubstr("larger than 4096 bytes"));
  // The next request works (on a new connection).
  sqs.answer = [](const recorded&) { return canned{}; };
  EXPECT_TRUE(receive(*q, 1, 0).ok());
}

TEST_F(RemoteQueue, AKeptAliveConnectionTheServerClosedIsReplaced) {
  sqs.answer = [](const recorded&) {
    canned c;
    c.close_after = true; // closes without "Connection: close"
    return c;
  };
  auto q = remote_queue(ioc.get_executor(), options());
  ASSERT_TRUE(receive(*q, 1, 0).ok());
  // Let the close arrive.
  ioc.restart();
  ioc.run_for(50ms);
  ASSERT_TRUE(receive(*q, 1, 0).ok());
  EXPECT_EQ(sqs.requests.size(), 2u);
  EXPECT_EQ(sqs.connections, 2u);
}

TEST_F(RemoteQueue, SeveralIdleConnectionsTheServerClosedAreAllReplaced) {
  // Two receives at once: two connections, both idle afterwards, then both closed by the server.
  sqs.answer = [](const recorded&) {
    canned c;
    c.close_after = true;
    return c;
  };
  auto q = remote_queue(ioc.get_executor(), options());
  int answered = 0;
  for (int i = 0; i < 2; ++i) {
    q->receive(1, 0, [&](result<std::vector<received_message>> r) {
      EXPECT_TRUE(r.ok());
      ++answered;
    });
  }
  ASSERT_TRUE(run_until(ioc, [&] { return answered == 2; }));
  EXPECT_EQ(sqs.connections, 2u);
  ioc.restart();
  ioc.run_for(50ms);
  sqs.answer = [](const recorded&) { return canned{}; };
  auto got = receive(*q, 1, 0);
  ASSERT_TRUE(got.ok()) << got.err().message;
  EXPECT_EQ(sqs.connections, 3u);
}

TEST_F(RemoteQueue, StopEndsAWaitingReceiveWithNothingAndDeletesStillGoOut) {
  sqs.answer = [](const recorded& r) {
    canned c;
    c.hang = r.action() == "ReceiveMessage";
    return c;
  };
  auto q = remote_queue(ioc.get_executor(), options());
  std::optional<result<std::vector<received_message>>> got;
  q->receive(10, 20000, [&](result<std::vector<received_message>> r) { got.emplace(std::move(r)); });
  ASSERT_TRUE(run_until(ioc, [&] { return sqs.requests.size() == 1; }));
  EXPECT_FALSE(got);
  q->stop();
  ASSERT_TRUE(run_until(ioc, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->err().message;
  EXPECT_TRUE(got->value().empty());
  // A receive after stop answers at once, with nothing and no request.
  got.reset();
  q->receive(10, 20000, [&](result<std::vector<received_message>> r) { got.emplace(std::move(r)); });
  ASSERT_TRUE(run_until(ioc, [&] { return got.has_value(); }));
  EXPECT_TRUE(got->ok() && got->value().empty());
  EXPECT_EQ(sqs.requests.size(), 1u);
  // Deletes still work.
  EXPECT_FALSE(delete_all(*q, {"rh"}));
  EXPECT_EQ(sqs.requests.size(), 2u);
}

TEST_F(RemoteQueue, ADestroyedClientCallsNothing) {
  sqs.answer = [](const recorded&) {
    canned c;
    c.hang = true;
    return c;
  };
  auto q = remote_queue(ioc.get_executor(), options());
  bool called = false;
  q->receive(1, 20000, [&](result<std::vector<received_message>>) { called = true; });
  ASSERT_TRUE(run_until(ioc, [&] { return sqs.requests.size() == 1; }));
  q.reset();
  ioc.restart();
  ioc.run_for(100ms);
  EXPECT_FALSE(called);
}

TEST_F(RemoteQueue, ASessionTokenIsSentAndSigned) {
  remote_options o = options();
  o.credentials->session_token = "TOKEN/with+chars==";
  auto q = remote_queue(ioc.get_executor(), o);
  ASSERT_TRUE(receive(*q, 1, 0).ok());
  ASSERT_EQ(sqs.requests.size(), 1u);
  EXPECT_EQ(sqs.requests[0].header("X-Amz-Security-Token"), "TOKEN/with+chars==");
  expect_signed(sqs.requests[0], *o.credentials, "eu-west-1");
  EXPECT_THAT(sqs.requests[0].header("Authorization"), ::testing::HasSubstr("x-amz-security-token"));
}

TEST_F(RemoteQueue, OnlyTheEndpointIsContactedWhateverTheQueueUrlSays) {
  // An AWS queue URL (never resolved nor contacted) through the local endpoint; the region comes from the
  // URL's host when not given.
  remote_options o = options();
  o.queue_url = "https://sqs.ap-southeast-2.amazonaws.com/123456789012/prod-orders";
  o.region.clear();
  const auto resolved = resolve_remote_options(o, [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(resolved.ok()) << resolved.err().message;
  EXPECT_EQ(resolved.value().region, "ap-southeast-2");
  auto q = remote_queue(ioc.get_executor(), resolved.value());
  ASSERT_TRUE(receive(*q, 1, 0).ok());
  ASSERT_EQ(sqs.requests.size(), 1u);
  EXPECT_EQ(sqs.requests[0].body_json()["QueueUrl"], o.queue_url);
  expect_signed(sqs.requests[0], test_credentials, "ap-southeast-2");
}

TEST(RemoteOptions, RefusedOptionsSayWhy) {
  const sigv4::env_lookup no_env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/nonexistent-lemu-home");
    return std::nullopt;
  };
  remote_options o;
  o.queue_url = "http://localhost:9324/000000000000/q";
  o.endpoint = "ftp://localhost:9324";
  o.credentials = test_credentials;
  auto r = resolve_remote_options(o, no_env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "InvalidEndpoint");
  EXPECT_THAT(r.err().message, ::testing::HasSubstr("only http:// and https://"));

  o.endpoint = "http://user:pw@localhost:9324";
  r = resolve_remote_options(o, no_env);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.err().message, ::testing::HasSubstr("user name or password"));

  o.endpoint = "http://localhost:9324";
  o.queue_url = "http://localhost:9324/";
  r = resolve_remote_options(o, no_env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "InvalidQueueUrl");

  // No credentials anywhere.
  o.queue_url = "http://localhost:9324/000000000000/q";
  o.credentials.reset();
  r = resolve_remote_options(o, no_env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "MissingCredentials");

  // Without an endpoint: the queue URL's own scheme, host and port.
  o.endpoint.clear();
  o.credentials = test_credentials;
  r = resolve_remote_options(o, no_env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().endpoint, "http://localhost:9324");
  EXPECT_EQ(r.value().region, "us-east-1");

  asio::io_context ioc;
  o.endpoint = "gopher://x";
  EXPECT_THROW(remote_queue(ioc.get_executor(), o), std::invalid_argument);
}

TEST(Endpoint, UrlsAreParsed) {
  auto e = parse_endpoint("https://SQS.eu-west-1.amazonaws.com");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e.value().tls);
  EXPECT_EQ(e.value().host, "sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(e.value().port, "443");
  EXPECT_EQ(e.value().host_header, "sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(e.value().path, "/");
  e = parse_endpoint("http://[::1]:9324/x");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e.value().tls);
  EXPECT_EQ(e.value().host, "::1");
  EXPECT_EQ(e.value().port, "9324");
  EXPECT_EQ(e.value().host_header, "[::1]:9324");
  EXPECT_EQ(e.value().path, "/x");
  EXPECT_FALSE(parse_endpoint("localhost:9324").ok());
  EXPECT_FALSE(parse_endpoint("http://h/?a=1").ok());
}

} // namespace
} // namespace lemu::sqs
