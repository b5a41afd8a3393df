#include <lemu/app/sqs_endpoint.hpp>

#include <lemu/core/exit_codes.hpp>
#include <lemu/gateway/http_server.hpp>
#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/store.hpp>
#include <lemu/sqs/wire.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>

namespace lemu::app {

namespace {

// A value of k=v,...: up to the next ',' or, for one that starts with '{', to its matching '}'.
std::size_t value_end(const std::string& s, std::size_t start) {
  if (start < s.size() && s[start] == '{') {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = start; i < s.size(); ++i) {
      const char c = s[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return i + 1;
      }
    }
    return std::string::npos; // unbalanced
  }
  const std::size_t comma = s.find(',', start);
  return comma == std::string::npos ? s.size() : comma;
}

std::string url_host(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

gateway::http_response sqs_error_page(unsigned status, const gateway::http_request* head) {
  sqs::error e;
  e.http_status = status;
  if (status == 413) {
    e.code = "RequestEntityTooLarge";
    e.message = "The request body is larger than " + std::to_string(sqs_body_limit) + " bytes.";
  } else if (status == 431) {
    e.code = "RequestHeaderFieldsTooLarge";
    e.message = "The request header is too large.";
  } else if (status == 501) {
    e.code = "NotImplemented";
    e.message = "The request's transfer coding is not supported.";
  } else {
    e.code = "MalformedRequest";
    e.message = "The request is not valid HTTP/1.1.";
  }
  const bool json = head && sqs::wire::protocol_of(*head) == sqs::wire::protocol::json10;
  return json ? sqs::wire::json_error(e, "00000000-0000-0000-0000-000000000000")
              : sqs::wire::query_error(e, "00000000-0000-0000-0000-000000000000");
}

} // namespace

sqs_queue_spec parse_sqs_queue(const std::string& text) {
  const std::string option = "--sqs-queue " + text + ": ";
  sqs_queue_spec spec;
  const std::size_t colon = text.find(':');
  spec.name = text.substr(0, colon);
  if (spec.name.empty()) throw core::usage_error(option + "no queue name (NAME[:Attribute=value,...])");
  std::size_t i = colon == std::string::npos ? text.size() : colon + 1;
  while (i < text.size()) {
    const std::size_t eq = text.find('=', i);
    if (eq == std::string::npos) throw core::usage_error(option + "'" + text.substr(i) + "' is not Attribute=value");
    const std::string key = text.substr(i, eq - i);
    const std::size_t end = value_end(text, eq + 1);
    if (end == std::string::npos) throw core::usage_error(option + "the value of " + key + " has an unbalanced '{'");
    const std::string value = text.substr(eq + 1, end - eq - 1);
    if (key.empty()) throw core::usage_error(option + "an attribute without a name");
    if (key == "deadLetterQueue") spec.dead_letter_queue = value;
    else if (key == "maxReceiveCount") spec.max_receive_count = value;
    else spec.attributes[key] = value;
    i = end;
    if (i < text.size()) {
      if (text[i] != ',') throw core::usage_error(option + "expected ',' after the value of " + key);
      ++i;
    }
  }
  if (!spec.max_receive_count.empty() && spec.dead_letter_queue.empty())
    throw core::usage_error(option + "maxReceiveCount needs deadLetterQueue=NAME");
  if (!spec.dead_letter_queue.empty() && spec.attributes.count("RedrivePolicy"))
    throw core::usage_error(option + "deadLetterQueue and RedrivePolicy: give one of them");
  if (spec.name.size() > 5 && spec.name.compare(spec.name.size() - 5, 5, ".fifo") == 0 && !spec.attributes.count("FifoQueue"))
    spec.attributes["FifoQueue"] = "true";
  return spec;
}

void create_sqs_queues(sqs::store& store, const std::vector<sqs_queue_spec>& queues) {
  // The queues: all of them first, then the redrive policies (a dead-letter queue may come later). A
  // deadLetterQueue that no --sqs-queue declares is made with the defaults (FIFO when its name says so).
  for (const sqs_queue_spec& q : queues) {
    std::map<std::string, std::string> attributes = q.attributes;
    attributes.erase("RedrivePolicy");
    if (store.exists(q.name)) {
      if (!attributes.empty()) {
        if (auto e = store.set_attributes(q.name, attributes))
          throw core::usage_error("--sqs-queue " + q.name + ": " + e->message);
      }
    } else {
      auto r = store.create_queue(q.name, attributes);
      if (!r.ok()) throw core::usage_error("--sqs-queue " + q.name + ": " + r.err().message);
    }
  }
  for (const sqs_queue_spec& q : queues) {
    std::string policy;
    if (auto it = q.attributes.find("RedrivePolicy"); it != q.attributes.end()) policy = it->second;
    if (!q.dead_letter_queue.empty()) {
      if (!store.exists(q.dead_letter_queue)) {
        std::map<std::string, std::string> dlq;
        if (q.dead_letter_queue.size() > 5 && q.dead_letter_queue.ends_with(".fifo")) dlq["FifoQueue"] = "true";
        auto r = store.create_queue(q.dead_letter_queue, dlq);
        if (!r.ok()) throw core::usage_error("--sqs-queue " + q.name + ": deadLetterQueue " + q.dead_letter_queue + ": " + r.err().message);
      }
      policy = "{\"deadLetterTargetArn\":\"" + store.queue_arn(q.dead_letter_queue) + "\",\"maxReceiveCount\":" +
               (q.max_receive_count.empty() ? std::string("5") : q.max_receive_count) + "}";
    }
    if (policy.empty()) continue;
    if (auto e = store.set_attributes(q.name, {{"RedrivePolicy", policy}}))
      throw core::usage_error("--sqs-queue " + q.name + ": " + e->message);
  }
}

std::string default_sqs_state_dir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/lemu/sqs";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/state/lemu/sqs";
  return ".lemu-state/sqs";
}

std::string sqs_region_from_environment() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (const char* v = std::getenv(name); v && *v) return v;
  return "us-east-1";
}

sqs_endpoint::sqs_endpoint(boost::asio::any_io_executor ex, const sqs_endpoint_options& o) : m_options(o) {
  gateway::http_server_options so;
  so.host = o.host;
  so.port = o.port;
  so.body_limit = sqs_body_limit;
  so.max_connections = o.max_connections;
  so.timeouts = o.timeouts;
  so.error_page = sqs_error_page;
  so.name = "serve: sqs";
  so.port_option = "--sqs-port";
  m_server = gateway::http_server::create(
      ex,
      [this](gateway::received_request in, gateway::http_server::responder respond) {
        if (in.body_bytes > in.request.body.size()) {
          respond(sqs_error_page(413, &in.request));
          return;
        }
        try {
          m_service->handle(in.request, [respond](gateway::http_response r) { respond(std::move(r)); });
        } catch (const std::exception& e) {
          spdlog::error("sqs: request failed: {}", e.what());
          respond(sqs_error_page(500, &in.request));
        }
      },
      so);
  m_url = "http://" + url_host(o.host) + ":" + std::to_string(m_server->port());

  m_clock = std::make_unique<sqs::real_clock>(ex);
  if (!o.state_dir.empty()) {
    std::string problem;
    m_journal = sqs::journal::open(o.state_dir, o.fsync, problem);
    if (!m_journal) throw core::usage_error("--sqs-state " + o.state_dir + ": " + problem);
  }
  sqs::store_options st;
  st.region = o.region;
  st.url_base = m_url;
  m_store = std::make_unique<sqs::store>(*m_clock, st, m_journal.get());
  m_service = std::make_unique<sqs::service>(ex, *m_store, *m_clock);

  create_sqs_queues(*m_store, o.queues);
}

sqs_endpoint::~sqs_endpoint() {
  if (!m_stopped) {
    try {
      stop();
    } catch (const std::exception& e) {
      spdlog::error("sqs: stopping: {}", e.what());
    }
  }
}

void sqs_endpoint::start() { m_server->start(); }

void sqs_endpoint::stop() {
  if (m_stopped) return;
  m_stopped = true;
  m_service->stop();
  m_server->stop();
  if (m_journal) m_journal->sync();
}

std::uint16_t sqs_endpoint::port() const { return m_server->port(); }
std::string sqs_endpoint::url() const { return m_url; }

std::vector<std::string> sqs_endpoint::describe() const {
  std::vector<std::string> out;
  out.push_back("lemu: SQS on " + m_url + " (aws sqs --endpoint-url " + m_url + " ...; state " +
                (m_options.state_dir.empty() ? std::string("in memory only") : m_options.state_dir) + ")");
  for (const std::string& url : m_store->list_queues("")) out.push_back("lemu:   queue " + url);
  return out;
}

sqs::store& sqs_endpoint::store() { return *m_store; }
sqs::poller& sqs_endpoint::poller() { return m_service->receiver(); }
sqs::clock& sqs_endpoint::clock() { return *m_clock; }

} // namespace lemu::app
