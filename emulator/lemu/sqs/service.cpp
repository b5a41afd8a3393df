// The SQS endpoint's actions (service.hpp) over the store, for both wire protocols (wire.hpp): each
// request becomes an action and a JSON-shaped input, the action's output is a JSON object, and the
// protocol renders it (JSON as is, Query as XML).
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/wire.hpp>

#include <lemu/core/ids.hpp>
#include <lemu/util/base64.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <set>
#include <utility>

namespace lemu::sqs {

namespace {

using wire::json;
using wire::protocol;

// An action's error, thrown inside the synchronous part of an action and caught by run(): the actions
// read their input with many checks, and each check failing ends the action with one answer.
struct failure {
  error e;
};

[[noreturn]] void fail(std::string code, std::string message, unsigned status = 400) {
  throw failure{error{std::move(code), std::move(message), status, true}};
}

error non_existent_queue() {
  return error{"AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", 400, true};
}

constexpr int max_batch_entries = 10;
constexpr std::size_t batch_bytes_limit = 262144;

bool valid_entry_id(const std::string& id) {
  if (id.empty() || id.size() > 80) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Reads an action's input, by the rules of the protocol it came in (Query values are all strings).
struct reader {
  protocol proto;

  [[noreturn]] void type_error(const std::string& name, const char* expected) const {
    if (proto == protocol::json10)
      fail("SerializationException", "The value of " + name + " must be " + expected + ".");
    fail("InvalidParameterValue", "Value for parameter " + name + " is invalid. Reason: it must be " + expected + ".");
  }

  std::optional<std::string> str(const json& o, const std::string& name) const {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) type_error(name, "a string");
    return it->get<std::string>();
  }

  std::string required_str(const json& o, const std::string& name) const {
    auto v = str(o, name);
    if (!v) fail("MissingParameter", "The request must contain the parameter " + name + ".");
    return *v;
  }

  std::optional<long long> integer(const json& o, const std::string& name) const {
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return std::nullopt;
    if (proto == protocol::json10) {
      if (it->is_number_integer()) return it->get<long long>();
      if (it->is_number_unsigned()) {
        const auto u = it->get<unsigned long long>();
        return u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())
                   ? std::numeric_limits<long long>::max()
                   : static_cast<long long>(u);
      }
      type_error(name, "an integer");
    }
    if (!it->is_string()) type_error(name, "an integer");
    const std::string& s = it->get_ref<const std::string&>();
    long long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
      fail("InvalidParameterValue",
           "Value " + s.substr(0, 100) + " for parameter " + name + " is invalid. Reason: it must be an integer.");
    return n;
  }

  std::vector<std::string> strings(const json& o, const std::string& name) const {
    std::vector<std::string> out;
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return out;
    if (!it->is_array()) type_error(name, "a list of strings");
    for (const json& v : *it) {
      if (!v.is_string()) type_error(name, "a list of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(const json& o, const std::string& name) const {
    std::map<std::string, std::string> out;
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return out;
    if (!it->is_object()) type_error(name, "a map of strings");
    for (auto a = it->begin(); a != it->end(); ++a) {
      if (!a.value().is_string()) type_error(name + "." + a.key(), "a string");
      out[a.key()] = a.value().get<std::string>();
    }
    return out;
  }

  attribute_map message_attributes(const json& o, const std::string& name) const {
    attribute_map out;
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return out;
    if (!it->is_object()) type_error(name, "a map of message attributes");
    for (auto a = it->begin(); a != it->end(); ++a) {
      const std::string& key = a.key();
      if (!a.value().is_object()) type_error(name + "." + key, "a message attribute value");
      attribute_value v;
      v.data_type = str(a.value(), "DataType").value_or("");
      if (v.data_type.empty())
        fail("InvalidParameterValue", "The message attribute '" + key + "' must contain non-empty message attribute type.");
      const std::string type_name = v.data_type.substr(0, v.data_type.find('.'));
      if (type_name != "String" && type_name != "Number" && type_name != "Binary")
        fail("InvalidParameterValue", "The type of message (user) attribute '" + key + "' is invalid. You must use only "
                                      "the following supported type prefixes: Binary, Number, String.");
      if (v.is_binary()) {
        auto b64 = str(a.value(), "BinaryValue");
        if (!b64 || b64->empty())
          fail("InvalidParameterValue", "The message attribute '" + key +
                                            "' must contain non-empty message attribute value for message attribute "
                                            "type '" + v.data_type + "'.");
        auto bytes = util::base64_decode(*b64);
        if (!bytes) fail("InvalidParameterValue", "The message attribute '" + key + "' has a BinaryValue that is not base64.");
        v.binary_value = std::move(*bytes);
      } else {
        auto s = str(a.value(), "StringValue");
        if (!s || s->empty())
          fail("InvalidParameterValue", "The message attribute '" + key +
                                            "' must contain non-empty message attribute value for message attribute "
                                            "type '" + v.data_type + "'.");
        v.string_value = std::move(*s);
      }
      out[key] = std::move(v);
    }
    return out;
  }
};

std::string last_segment(const std::string& url) {
  const std::size_t slash = url.find_last_of('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

json message_attributes_json(const attribute_map& attrs) {
  json out = json::object();
  for (const auto& [name, v] : attrs) {
    json a = json::object();
    if (v.is_binary()) a["BinaryValue"] = util::base64_encode(v.binary_value);
    else a["StringValue"] = v.string_value;
    a["DataType"] = v.data_type;
    out[name] = std::move(a);
  }
  return out;
}

json sent_json(const sent& s) {
  json out = json::object();
  out["MD5OfMessageBody"] = s.md5_of_body;
  if (!s.md5_of_attributes.empty()) out["MD5OfMessageAttributes"] = s.md5_of_attributes;
  if (!s.md5_of_system_attributes.empty()) out["MD5OfMessageSystemAttributes"] = s.md5_of_system_attributes;
  out["MessageId"] = s.message_id;
  if (!s.sequence_number.empty()) out["SequenceNumber"] = s.sequence_number;
  return out;
}

json failed_entry(const std::string& id, const error& e) {
  json out = json::object();
  out["Id"] = id;
  out["SenderFault"] = e.sender_fault;
  out["Code"] = e.code;
  out["Message"] = e.message;
  return out;
}

// The message attribute names a ReceiveMessage asked for: "All", ".*", "prefix.*" or exact names.
bool attribute_wanted(const std::vector<std::string>& wanted, const std::string& name) {
  for (const std::string& w : wanted) {
    if (w == "All" || w == ".*" || w == name) return true;
    if (w.size() > 2 && w.compare(w.size() - 2, 2, ".*") == 0 && name.compare(0, w.size() - 1, w, 0, w.size() - 1) == 0)
      return true;
  }
  return false;
}

} // namespace

struct service::state : std::enable_shared_from_this<service::state> {
  state(boost::asio::any_io_executor e, store& st, clock& cl) : ex(e), s(st), c(cl), p(e, st, cl) {}

  boost::asio::any_io_executor ex;
  store& s;
  clock& c;
  poller p;
  core::id_generator ids;
  std::map<std::string, std::map<std::string, std::string>> tags; // by queue name (memory only)
  bool stopped = false;

  using done_fn = std::function<void(result<json>)>;

  std::string queue_of(const reader& rd, const json& in) const {
    const std::string url = rd.required_str(in, "QueueUrl");
    auto q = s.queue_from_url(url);
    if (!q) throw failure{non_existent_queue()};
    return *q;
  }

  static void check(const status& st) {
    if (st) throw failure{*st};
  }
  template <class T>
  static T take(result<T> r) {
    if (!r.ok()) throw failure{r.err()};
    return std::move(r.value());
  }

  // The entries of a batch, checked as SQS checks them before running any.
  static const json& batch_entries(const reader& rd, const json& in, const char* entry_name) {
    auto it = in.find("Entries");
    if (it == in.end() || it->is_null() || (it->is_array() && it->empty()))
      fail("AWS.SimpleQueueService.EmptyBatchRequest", std::string("There should be at least one ") + entry_name +
                                                             " in the request.");
    if (!it->is_array()) rd.type_error("Entries", "a list");
    if (it->size() > max_batch_entries)
      fail("AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
           "Maximum number of entries per request are 10. You have sent " + std::to_string(it->size()) + ".");
    std::set<std::string> ids;
    for (const json& e : *it) {
      if (!e.is_object()) rd.type_error("Entries", "a list of objects");
      const std::string id = rd.required_str(e, "Id");
      if (!valid_entry_id(id))
        fail("AWS.SimpleQueueService.InvalidBatchEntryId",
             "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 "
             "letters long.");
      if (!ids.insert(id).second) fail("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id " + id + " repeated.");
    }
    return *it;
  }

  send_entry entry_of(const reader& rd, const json& in) const {
    send_entry e;
    e.body = rd.required_str(in, "MessageBody");
    if (auto d = rd.integer(in, "DelaySeconds")) {
      if (*d < 0 || *d > 900)
        fail("InvalidParameterValue", "Value " + std::to_string(*d) +
                                          " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 "
                                          "and <= 900.");
      e.delay_seconds = static_cast<int>(*d);
    }
    e.attributes = rd.message_attributes(in, "MessageAttributes");
    e.system_attributes = rd.message_attributes(in, "MessageSystemAttributes");
    e.group_id = rd.str(in, "MessageGroupId").value_or("");
    e.deduplication_id = rd.str(in, "MessageDeduplicationId").value_or("");
    return e;
  }

  static std::size_t entry_bytes(const send_entry& e) {
    std::size_t n = e.body.size();
    for (const auto& [name, v] : e.attributes)
      n += name.size() + v.data_type.size() + (v.is_binary() ? v.binary_value.size() : v.string_value.size());
    return n;
  }

  long long queue_number(const std::string& q, const std::string& attribute, long long fallback) const {
    auto r = s.get_attributes(q, {attribute});
    if (!r.ok()) return fallback;
    auto it = r.value().find(attribute);
    if (it == r.value().end()) return fallback;
    long long n = fallback;
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    return n;
  }

  // Runs one action; `done` is called once (later for a ReceiveMessage that waits).
  void run(const wire::parsed_request& req, done_fn done) {
    const reader rd{req.proto};
    const json& in = req.input;
    const std::string& a = req.action;
    json out = json::object();

    if (a == "CreateQueue") {
      const std::string name = rd.required_str(in, "QueueName");
      auto attributes = rd.string_map(in, "Attributes");
      auto queue_tags = rd.string_map(in, "tags");
      out["QueueUrl"] = take(s.create_queue(name, attributes));
      if (!queue_tags.empty()) tags[name].insert(queue_tags.begin(), queue_tags.end());
    } else if (a == "GetQueueUrl") {
      out["QueueUrl"] = take(s.get_queue_url(rd.required_str(in, "QueueName")));
    } else if (a == "ListQueues") {
      const std::string prefix = rd.str(in, "QueueNamePrefix").value_or("");
      const auto max = rd.integer(in, "MaxResults");
      if (max && (*max < 1 || *max > 1000))
        fail("InvalidParameterValue", "Value " + std::to_string(*max) +
                                          " for parameter MaxResults is invalid. Reason: MaxResults must be an integer "
                                          "between 1 and 1000.");
      std::string after;
      if (auto token = rd.str(in, "NextToken"); token && !token->empty()) {
        auto decoded = util::base64_decode(*token);
        if (!decoded) fail("InvalidParameterValue", "Invalid NextToken value.");
        after = *decoded;
      }
      json urls = json::array();
      std::string last;
      bool more = false;
      for (const std::string& url : s.list_queues(prefix)) {
        const std::string name = last_segment(url);
        if (!after.empty() && name <= after) continue;
        if (max && static_cast<long long>(urls.size()) >= *max) {
          more = true;
          break;
        }
        urls.push_back(url);
        last = name;
      }
      if (!urls.empty()) out["QueueUrls"] = std::move(urls);
      if (more) out["NextToken"] = util::base64_encode(last);
    } else if (a == "DeleteQueue") {
      const std::string q = queue_of(rd, in);
      check(s.delete_queue(q));
      tags.erase(q);
    } else if (a == "GetQueueAttributes") {
      const std::string q = queue_of(rd, in);
      const auto names = rd.strings(in, "AttributeNames");
      if (!names.empty()) {
        auto attributes = take(s.get_attributes(q, names));
        if (!attributes.empty()) {
          json m = json::object();
          for (auto& [k, v] : attributes) m[k] = v;
          out["Attributes"] = std::move(m);
        }
      }
    } else if (a == "SetQueueAttributes") {
      const std::string q = queue_of(rd, in);
      if (!in.contains("Attributes")) fail("MissingParameter", "The request must contain the parameter Attributes.");
      check(s.set_attributes(q, rd.string_map(in, "Attributes")));
    } else if (a == "SendMessage") {
      const std::string q = queue_of(rd, in);
      out = sent_json(take(s.send(q, entry_of(rd, in))));
    } else if (a == "SendMessageBatch") {
      const std::string q = queue_of(rd, in);
      const json& entries = batch_entries(rd, in, "SendMessageBatchRequestEntry");
      std::vector<std::pair<std::string, std::optional<send_entry>>> parsed;
      std::vector<json> failed;
      std::size_t total = 0;
      for (const json& e : entries) {
        const std::string id = e["Id"].get<std::string>();
        try {
          send_entry se = entry_of(rd, e);
          total += entry_bytes(se);
          parsed.emplace_back(id, std::move(se));
        } catch (const failure& f) {
          if (f.e.code == "SerializationException") throw;
          parsed.emplace_back(id, std::nullopt);
          failed.push_back(failed_entry(id, f.e));
        }
      }
      const auto limit = std::max<long long>(static_cast<long long>(batch_bytes_limit),
                                             queue_number(q, "MaximumMessageSize", static_cast<long long>(batch_bytes_limit)));
      if (static_cast<long long>(total) > limit)
        fail("AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than " + std::to_string(limit) +
                                                               " bytes. You have sent " + std::to_string(total) + " bytes.");
      json successful = json::array();
      for (auto& [id, se] : parsed) {
        if (!se) continue;
        auto r = s.send(q, *se);
        if (r.ok()) {
          json j = json::object();
          j["Id"] = id;
          const json fields = sent_json(r.value());
          for (auto f = fields.begin(); f != fields.end(); ++f) j[f.key()] = f.value();
          successful.push_back(std::move(j));
        } else {
          failed.push_back(failed_entry(id, r.err()));
        }
      }
      out["Successful"] = std::move(successful);
      out["Failed"] = json(std::move(failed));
    } else if (a == "ReceiveMessage") {
      receive(rd, in, std::move(done));
      return;
    } else if (a == "DeleteMessage") {
      const std::string q = queue_of(rd, in);
      check(s.delete_message(q, rd.required_str(in, "ReceiptHandle")));
    } else if (a == "DeleteMessageBatch" || a == "ChangeMessageVisibilityBatch") {
      const bool del = a == "DeleteMessageBatch";
      const std::string q = queue_of(rd, in);
      const json& entries =
          batch_entries(rd, in, del ? "DeleteMessageBatchRequestEntry" : "ChangeMessageVisibilityBatchRequestEntry");
      json successful = json::array();
      json failed = json::array();
      for (const json& e : entries) {
        const std::string id = e["Id"].get<std::string>();
        status st;
        try {
          const std::string handle = rd.required_str(e, "ReceiptHandle");
          if (del) {
            st = s.delete_message(q, handle);
          } else {
            const auto seconds = rd.integer(e, "VisibilityTimeout");
            if (!seconds) fail("MissingParameter", "The request must contain the parameter VisibilityTimeout.");
            st = s.change_visibility(q, handle, static_cast<int>(std::clamp<long long>(*seconds, -1, 43201)));
          }
        } catch (const failure& f) {
          if (f.e.code == "SerializationException") throw;
          st = f.e;
        }
        if (st) {
          failed.push_back(failed_entry(id, *st));
        } else {
          json j = json::object();
          j["Id"] = id;
          successful.push_back(std::move(j));
        }
      }
      out["Successful"] = std::move(successful);
      out["Failed"] = std::move(failed);
    } else if (a == "ChangeMessageVisibility") {
      const std::string q = queue_of(rd, in);
      const std::string handle = rd.required_str(in, "ReceiptHandle");
      const auto seconds = rd.integer(in, "VisibilityTimeout");
      if (!seconds) fail("MissingParameter", "The request must contain the parameter VisibilityTimeout.");
      check(s.change_visibility(q, handle, static_cast<int>(std::clamp<long long>(*seconds, -1, 43201))));
    } else if (a == "PurgeQueue") {
      check(s.purge(queue_of(rd, in)));
    } else if (a == "ListQueueTags") {
      const std::string q = queue_of(rd, in);
      if (auto it = tags.find(q); it != tags.end() && !it->second.empty()) {
        json m = json::object();
        for (auto& [k, v] : it->second) m[k] = v;
        out["Tags"] = std::move(m);
      }
    } else if (a == "TagQueue") {
      const std::string q = queue_of(rd, in);
      auto t = rd.string_map(in, "Tags");
      if (t.empty()) fail("MissingParameter", "The request must contain the parameter Tags.");
      for (auto& [k, v] : t) tags[q][k] = v;
    } else if (a == "UntagQueue") {
      const std::string q = queue_of(rd, in);
      const auto keys = rd.strings(in, "TagKeys");
      if (keys.empty()) fail("MissingParameter", "The request must contain the parameter TagKeys.");
      for (const std::string& k : keys) tags[q].erase(k);
    } else if (a == "ListDeadLetterSourceQueues") {
      const std::string q = queue_of(rd, in);
      const std::string arn = s.queue_arn(q);
      json urls = json::array();
      for (const std::string& url : s.list_queues("")) {
        auto attrs = s.get_attributes(last_segment(url), {"RedrivePolicy"});
        if (!attrs.ok()) continue;
        auto it = attrs.value().find("RedrivePolicy");
        if (it == attrs.value().end()) continue;
        const json policy = json::parse(it->second, nullptr, false);
        if (policy.is_object() && policy.value("deadLetterTargetArn", "") == arn) urls.push_back(url);
      }
      out["queueUrls"] = std::move(urls);
    } else {
      fail("InvalidAction", "The action " + a.substr(0, 100) + " is not valid for this endpoint.");
    }
    done(std::move(out));
  }

  void receive(const reader& rd, const json& in, done_fn done) {
    const std::string q = queue_of(rd, in);
    receive_request r;
    if (auto max = rd.integer(in, "MaxNumberOfMessages")) {
      if (*max < 1 || *max > 10)
        fail("InvalidParameterValue", "Value " + std::to_string(*max) +
                                          " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
                                          "and 10, if provided.");
      r.max_messages = static_cast<int>(*max);
    }
    if (auto v = rd.integer(in, "VisibilityTimeout")) {
      if (*v < 0 || *v > 43200)
        fail("InvalidParameterValue", "Value " + std::to_string(*v) +
                                          " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= "
                                          "43200, if provided.");
      r.visibility_timeout = static_cast<int>(*v);
    }
    long long wait = 0;
    if (auto w = rd.integer(in, "WaitTimeSeconds")) {
      if (*w < 0 || *w > 20)
        fail("InvalidParameterValue", "Value " + std::to_string(*w) +
                                          " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, "
                                          "if provided.");
      wait = *w;
    } else {
      wait = std::clamp<long long>(queue_number(q, "ReceiveMessageWaitTimeSeconds", 0), 0, 20);
    }
    if (stopped) wait = 0;
    std::vector<std::string> system_names = rd.strings(in, "AttributeNames");
    for (auto& n : rd.strings(in, "MessageSystemAttributeNames")) system_names.push_back(std::move(n));
    std::vector<std::string> attribute_names = rd.strings(in, "MessageAttributeNames");
    p.receive(q, r, wait * 1000,
              [done = std::move(done), system_names = std::move(system_names),
               attribute_names = std::move(attribute_names)](result<std::vector<received_message>> got) {
                try {
                  if (!got.ok()) {
                    done(got.err());
                    return;
                  }
                  const bool all_system = std::find(system_names.begin(), system_names.end(), "All") != system_names.end();
                  json messages = json::array();
                  for (const received_message& m : got.value()) {
                    json j = json::object();
                    j["MessageId"] = m.message_id;
                    j["ReceiptHandle"] = m.receipt_handle;
                    j["MD5OfBody"] = m.md5_of_body;
                    j["Body"] = m.body;
                    json system = json::object();
                    for (const auto& [k, v] : m.system)
                      if (all_system || std::find(system_names.begin(), system_names.end(), k) != system_names.end())
                        system[k] = v;
                    if (!system.empty()) j["Attributes"] = std::move(system);
                    attribute_map chosen;
                    for (const auto& [k, v] : m.attributes)
                      if (attribute_wanted(attribute_names, k)) chosen.emplace(k, v);
                    if (!chosen.empty()) {
                      j["MD5OfMessageAttributes"] = attributes_md5(chosen);
                      j["MessageAttributes"] = message_attributes_json(chosen);
                    }
                    messages.push_back(std::move(j));
                  }
                  json out = json::object();
                  if (!messages.empty()) out["Messages"] = std::move(messages);
                  done(std::move(out));
                } catch (const std::exception& e) {
                  spdlog::error("sqs: ReceiveMessage answer failed: {}", e.what());
                  done(error{"InternalError", "We encountered an internal error. Please try again.", 500, false});
                }
              });
  }
};

service::service(boost::asio::any_io_executor ex, store& s, clock& c) : m_state(std::make_shared<state>(ex, s, c)) {}

service::~service() {
  if (m_state) m_state->p.stop();
}

void service::stop() {
  m_state->stopped = true;
  m_state->p.stop();
}

poller& service::receiver() { return m_state->p; }

void service::handle(const gateway::http_request& request, std::function<void(gateway::http_response)> answer) {
  state& st = *m_state;
  const std::string request_id = st.ids.request_id();
  const protocol proto = wire::protocol_of(request);
  auto respond_error = [proto, request_id](const error& e) {
    return proto == protocol::json10 ? wire::json_error(e, request_id) : wire::query_error(e, request_id);
  };
  auto parsed = proto == protocol::json10 ? wire::parse_json_request(request) : wire::parse_query_request(request);
  if (!parsed.ok()) {
    spdlog::debug("sqs: refused request: {} {}", parsed.err().code, parsed.err().message);
    answer(respond_error(parsed.err()));
    return;
  }
  wire::parsed_request& req = parsed.value();
  if (!wire::known_action(req.action)) {
    answer(respond_error(error{"InvalidAction", "The action " + req.action.substr(0, 100) + " is not valid for this endpoint.",
                               400, true}));
    return;
  }
  // Query requests may name the queue by the path they are sent to (POST /000000000000/name).
  if (proto == protocol::query && !req.input.contains("QueueUrl")) {
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path.size() > 1 && path.find('/', 1) != std::string::npos) req.input["QueueUrl"] = "http://localhost" + path;
  }
  auto once = std::make_shared<bool>(false);
  auto finish = [proto, request_id, action = req.action, answer, respond_error, once](result<json> r) {
    if (*once) return;
    *once = true;
    if (!r.ok()) {
      spdlog::debug("sqs: {}: {} {}", action, r.err().code, r.err().message);
      answer(respond_error(r.err()));
      return;
    }
    answer(proto == protocol::json10 ? wire::json_answer(r.value(), request_id)
                                   : wire::query_answer(action, r.value(), request_id));
  };
  try {
    st.run(req, finish);
  } catch (const failure& f) {
    finish(f.e);
  } catch (const std::exception& e) {
    spdlog::error("sqs: {} failed: {}", req.action, e.what());
    finish(error{"InternalError", "We encountered an internal error. Please try again.", 500, false});
  }
}

} // namespace lemu::sqs
