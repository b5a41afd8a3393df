#include <lemu/sqs/remote_client.hpp>

#include <lemu/sqs/http_client.hpp>
#include <lemu/util/base64.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>

#include <boost/asio/post.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace lemu::sqs {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::size_t delete_batch_size = 10;
constexpr int max_wait_s = 20;

// The URL's path segments: ".../<account>/<name>".
std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string json_string(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// An error answer of the JSON protocol: the Query code from x-amzn-query-error ("Code;Sender") when there
// is one, else the __type's part after '#'.
error endpoint_error(const http_reply& reply, const std::string& action) {
  error e;
  e.http_status = reply.status;
  e.sender_fault = reply.status < 500;
  const json j = json::parse(reply.body, nullptr, false);
  std::string type, message;
  if (j.is_object()) {
    type = json_string(j, "__type");
    message = json_string(j, "message");
    if (message.empty()) message = json_string(j, "Message");
  }
  if (const std::size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  const std::string query_error = reply.header("x-amzn-query-error");
  if (!query_error.empty()) {
    const std::size_t semi = query_error.find(';');
    e.code = query_error.substr(0, semi);
    if (semi != std::string::npos) e.sender_fault = query_error.substr(semi + 1) != "Receiver";
  } else {
    e.code = type;
  }
  if (e.code.empty()) {
    e.code = "RequestError";
    std::string excerpt = reply.body.substr(0, 200);
    std::replace_if(excerpt.begin(), excerpt.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    message = action + " answered HTTP " + std::to_string(reply.status) + " without an SQS error" +
              (excerpt.empty() ? std::string() : ": " + excerpt);
  }
  e.message = message.empty() ? action + " failed (HTTP " + std::to_string(reply.status) + ")" : message;
  return e;
}

error bad_answer(const std::string& action, const std::string& why) {
  return error{"RequestError", action + ": the endpoint's answer " + why, 0, false};
}

// One message of ReceiveMessage's answer.
result<received_message> message_of(const json& m) {
  if (!m.is_object()) return bad_answer("ReceiveMessage", "holds a message that is not an object");
  received_message out;
  out.message_id = json_string(m, "MessageId");
  out.receipt_handle = json_string(m, "ReceiptHandle");
  out.body = json_string(m, "Body");
  out.md5_of_body = json_string(m, "MD5OfBody");
  out.md5_of_attributes = json_string(m, "MD5OfMessageAttributes");
  if (out.message_id.empty() || out.receipt_handle.empty()) {
    return bad_answer("ReceiveMessage", "holds a message without MessageId or ReceiptHandle");
  }
  if (const auto a = m.find("Attributes"); a != m.end() && a->is_object()) {
    for (const auto& [name, value] : a->items()) {
      if (value.is_string()) out.system[name] = value.get<std::string>();
    }
  }
  if (const auto it = out.system.find("ApproximateReceiveCount"); it != out.system.end()) {
    try {
      out.receive_count = static_cast<std::uint32_t>(std::stoul(it->second));
    } catch (const std::exception&) {
      out.receive_count = 0;
    }
  }
  if (const auto a = m.find("MessageAttributes"); a != m.end() && a->is_object()) {
    for (const auto& [name, value] : a->items()) {
      if (!value.is_object()) continue;
      attribute_value v;
      v.data_type = json_string(value, "DataType");
      v.string_value = json_string(value, "StringValue");
      const std::string binary = json_string(value, "BinaryValue");
      if (!binary.empty()) {
        auto decoded = util::base64_decode(binary);
        if (!decoded) {
          return bad_answer("ReceiveMessage", "has a BinaryValue that is not base64 (message attribute " + name +
                                                  " of message " + out.message_id + ")");
        }
        v.binary_value = std::move(*decoded);
      }
      out.attributes[name] = std::move(v);
    }
  }
  return out;
}

class remote_client final : public queue_client {
public:
  remote_client(asio::any_io_executor ex, remote_options o)
      : m_ex(ex), m_options(std::move(o)),
        m_http(ex, parse_endpoint(m_options.endpoint).value(),
               http_client_options{m_options.body_limit, 64 * 1024, 8, m_options.ca_file}) {
    m_info.url = m_options.queue_url;
    m_info.region = m_options.region;
    const auto queue = parse_endpoint(m_options.queue_url).value();
    const auto segments = path_segments(queue.path);
    m_info.name = segments.empty() ? "" : segments.back();
    const std::string account = segments.size() >= 2 ? segments[segments.size() - 2] : "000000000000";
    m_info.arn = "arn:aws:sqs:" + m_info.region + ":" + account + ":" + m_info.name;
    m_info.fifo = util::ends_with(m_info.name, ".fifo");
  }

  ~remote_client() override = default; // m_http goes first: no completion runs after this

  const queue_info& info() const override { return m_info; }

  void receive(int max, std::int64_t wait_ms, received done) override {
    if (m_stopped) {
      asio::post(m_ex, [done = std::move(done)] { done(std::vector<received_message>{}); });
      return;
    }
    const int wait_s = static_cast<int>(std::clamp<std::int64_t>((wait_ms + 999) / 1000, 0, max_wait_s));
    json body = {{"QueueUrl", m_options.queue_url},
                 {"MaxNumberOfMessages", std::clamp(max, 1, 10)},
                 {"WaitTimeSeconds", wait_s},
                 {"AttributeNames", json::array({"All"})},
                 {"MessageSystemAttributeNames", json::array({"All"})},
                 {"MessageAttributeNames", json::array({"All"})}};
    auto id = std::make_shared<http_client::request_id>(0);
    *id = call("ReceiveMessage", body, std::chrono::seconds(wait_s) + m_options.timeout_margin,
               [this, id, done = std::move(done)](result<json> r) {
                 m_receives.erase(*id);
                 if (m_stopped && (!r.ok() && r.err().code == "RequestCancelled")) {
                   return done(std::vector<received_message>{});
                 }
                 if (!r.ok()) return done(r.err());
                 std::vector<received_message> out;
                 const auto messages = r.value().find("Messages");
                 if (messages != r.value().end() && !messages->is_null()) {
                   if (!messages->is_array()) return done(bad_answer("ReceiveMessage", "has Messages that is not a list"));
                   for (const json& m : *messages) {
                     auto one = message_of(m);
                     if (!one.ok()) return done(one.err());
                     out.push_back(std::move(one.value()));
                   }
                 }
                 done(std::move(out));
               });
    m_receives.insert(*id);
  }

  void delete_messages(std::vector<std::string> receipt_handles, std::function<void(status)> done) override {
    if (receipt_handles.empty()) {
      asio::post(m_ex, [done = std::move(done)] { done(std::nullopt); });
      return;
    }
    struct progress {
      std::size_t pending = 0;
      status first;
      std::function<void(status)> done;
    };
    auto p = std::make_shared<progress>();
    p->done = std::move(done);
    p->pending = (receipt_handles.size() + delete_batch_size - 1) / delete_batch_size;
    for (std::size_t start = 0; start < receipt_handles.size(); start += delete_batch_size) {
      json entries = json::array();
      std::vector<std::string> ids;
      for (std::size_t i = start; i < std::min(receipt_handles.size(), start + delete_batch_size); ++i) {
        ids.push_back(std::to_string(i - start));
        entries.push_back({{"Id", ids.back()}, {"ReceiptHandle", receipt_handles[i]}});
      }
      json body = {{"QueueUrl", m_options.queue_url}, {"Entries", std::move(entries)}};
      call("DeleteMessageBatch", body, m_options.timeout_margin, [this, p](result<json> r) {
        status st;
        if (!r.ok()) {
          st = r.err();
        } else if (const auto failed = r.value().find("Failed"); failed != r.value().end() && failed->is_array()) {
          for (const json& f : *failed) {
            if (!f.is_object()) continue;
            spdlog::warn("sqs: DeleteMessageBatch on {}: entry {} failed: {}: {}", m_info.url, json_string(f, "Id"),
                         json_string(f, "Code"), json_string(f, "Message"));
            if (!st) {
              const auto sender = f.find("SenderFault");
              st = error{json_string(f, "Code"), json_string(f, "Message"), 400,
                         sender == f.end() || !sender->is_boolean() || sender->get<bool>()};
            }
          }
        }
        if (st && !p->first) p->first = st;
        if (--p->pending == 0) p->done(p->first);
      });
    }
  }

  void change_visibility(const std::string& receipt_handle, int seconds, std::function<void(status)> done) override {
    json body = {{"QueueUrl", m_options.queue_url}, {"ReceiptHandle", receipt_handle}, {"VisibilityTimeout", seconds}};
    call("ChangeMessageVisibility", body, m_options.timeout_margin, [done = std::move(done)](result<json> r) {
      if (!r.ok()) return done(r.err());
      done(std::nullopt);
    });
  }

  void stop() override {
    m_stopped = true;
    const std::set<http_client::request_id> receives = std::move(m_receives);
    m_receives.clear();
    for (const auto id : receives) m_http.cancel(id);
  }

  // GetQueueAttributes: the queue's ARN, visibility timeout and type into info().
  void fetch_attributes(std::function<void(status)> done) {
    json body = {{"QueueUrl", m_options.queue_url},
                 {"AttributeNames", json::array({"QueueArn", "VisibilityTimeout", "FifoQueue"})}};
    call("GetQueueAttributes", body, m_options.timeout_margin, [this, done = std::move(done)](result<json> r) {
      if (!r.ok()) return done(r.err());
      const auto a = r.value().find("Attributes");
      if (a != r.value().end() && a->is_object()) {
        const std::string arn = json_string(*a, "QueueArn");
        if (!arn.empty()) m_info.arn = arn;
        const std::string visibility = json_string(*a, "VisibilityTimeout");
        if (!visibility.empty()) {
          try {
            m_info.visibility_timeout_s = std::stoi(visibility);
          } catch (const std::exception&) {
            return done(bad_answer("GetQueueAttributes", "has a VisibilityTimeout that is not a number: " + visibility));
          }
        }
        const std::string fifo = json_string(*a, "FifoQueue");
        if (!fifo.empty()) m_info.fifo = fifo == "true";
      }
      done(std::nullopt);
    });
  }

private:
  // One signed JSON-protocol call; `done` gets the answer's JSON object (or the endpoint's error).
  http_client::request_id call(const std::string& action, const json& body, std::chrono::milliseconds timeout,
                               std::function<void(result<json>)> done) {
    sigv4::request r;
    r.method = "POST";
    r.path = m_http.endpoint().path;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers = {{"Host", m_http.endpoint().host_header},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS." + action}};
    const std::int64_t now = m_options.now_ms ? m_options.now_ms() : util::epoch_ms();
    sigv4::sign_request(r, *m_options.credentials, m_options.region, "sqs", now);
    std::vector<std::pair<std::string, std::string>> headers;
    for (auto& h : r.headers) {
      if (!util::iequals(h.first, "Host")) headers.push_back(std::move(h));
    }
    return m_http.post(r.path, std::move(headers), std::move(r.body), timeout,
                       [action, done = std::move(done)](result<http_reply> reply) {
                         if (!reply.ok()) {
                           error e = reply.err();
                           if (e.code == "RequestError") e.message = action + ": " + e.message;
                           return done(std::move(e));
                         }
                         const http_reply& answer = reply.value();
                         if (answer.status < 200 || answer.status >= 300) return done(endpoint_error(answer, action));
                         if (answer.body.empty()) return done(json::object());
                         json j = json::parse(answer.body, nullptr, false);
                         if (!j.is_object()) return done(bad_answer(action, "is not a JSON object"));
                         done(std::move(j));
                       });
  }

  asio::any_io_executor m_ex;
  remote_options m_options;
  queue_info m_info;
  bool m_stopped = false;
  std::set<http_client::request_id> m_receives;
  http_client m_http; // last: destroyed first, so that no completion runs on a half-destroyed client
};

} // namespace

result<remote_options> resolve_remote_options(remote_options o, const sigv4::env_lookup& env) {
  if (o.queue_url.empty()) return error{"InvalidQueueUrl", "no queue URL given", 0, true};
  auto queue = parse_endpoint(o.queue_url);
  if (!queue.ok()) {
    return error{"InvalidQueueUrl", "the queue URL '" + o.queue_url +
                                        "' is not an http:// or https:// URL of a queue (" + queue.err().message + ")",
                 0, true};
  }
  if (path_segments(queue.value().path).empty()) {
    return error{"InvalidQueueUrl", "the queue URL '" + o.queue_url + "' names no queue (expected …/ACCOUNT/NAME)", 0, true};
  }
  if (o.endpoint.empty()) {
    const auto& q = queue.value();
    o.endpoint = (q.tls ? "https://" : "http://") + q.host_header;
  }
  auto ep = parse_endpoint(o.endpoint);
  if (!ep.ok()) return ep.err();
  if (o.region.empty()) o.region = sigv4::find_region(env, o.queue_url);
  if (!o.credentials) {
    auto c = sigv4::find_credentials(env);
    if (!c.ok()) return c.err();
    o.credentials = std::move(c.value());
  }
  return o;
}

std::unique_ptr<queue_client> remote_queue(asio::any_io_executor ex, remote_options o) {
  auto resolved = resolve_remote_options(std::move(o), sigv4::process_environment());
  if (!resolved.ok()) throw std::invalid_argument(resolved.err().message);
  return std::make_unique<remote_client>(ex, std::move(resolved.value()));
}

void open_remote_queue(asio::any_io_executor ex, remote_options o,
                       std::function<void(result<std::unique_ptr<queue_client>>)> done) {
  auto resolved = resolve_remote_options(std::move(o), sigv4::process_environment());
  if (!resolved.ok()) {
    asio::post(ex, [done = std::move(done), e = resolved.err()]() mutable { done(std::move(e)); });
    return;
  }
  auto client = std::make_shared<std::unique_ptr<remote_client>>(std::make_unique<remote_client>(ex, std::move(resolved.value())));
  remote_client& c = **client;
  c.fetch_attributes([client, done = std::move(done)](status st) mutable {
    if (st) return done(std::move(*st));
    done(std::unique_ptr<queue_client>(std::move(*client)));
  });
}

} // namespace lemu::sqs
