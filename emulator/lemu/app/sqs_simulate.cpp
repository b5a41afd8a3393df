#include <lemu/app/sqs_simulate.hpp>

#include <lemu/app/files.hpp>
#include <lemu/app/function_scheduler.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/serve_records.hpp>
#include <lemu/app/sqs_endpoint.hpp>
#include <lemu/app/sqs_mapping.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/process/bootstrap.hpp>
#include <lemu/process/child.hpp>
#include <lemu/process/watchdog.hpp>
#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/store.hpp>
#include <lemu/util/base64.hpp>
#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace lemu::app {

namespace {

using json = nlohmann::ordered_json;

struct planned_message {
  sqs::send_entry entry;
  std::int64_t at_ms = 0; // after the start
};

[[noreturn]] void bad_input(const std::string& file, const std::string& why) {
  throw core::usage_error("--sqs-simulate " + file + ": " + why);
}

std::string text_of(const json& j, const char* a, const char* b) {
  for (const char* k : {a, b}) {
    if (k == nullptr) continue;
    const auto it = j.find(k);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
  }
  return "";
}

planned_message message_of(const json& item, const std::string& file, std::size_t index) {
  const std::string where = "message " + std::to_string(index + 1);
  planned_message p;
  if (item.is_string()) {
    p.entry.body = item.get<std::string>();
    return p;
  }
  if (!item.is_object()) bad_input(file, where + " is neither a body (a JSON string) nor an object with \"body\"");
  const auto body = item.find("body");
  if (body == item.end() || !body->is_string()) bad_input(file, where + " has no \"body\" string");
  p.entry.body = body->get<std::string>();
  for (const char* key : {"messageAttributes", "MessageAttributes"}) {
    const auto attrs = item.find(key);
    if (attrs == item.end()) continue;
    if (!attrs->is_object()) bad_input(file, where + ": " + key + " is not an object");
    for (const auto& [name, v] : attrs->items()) {
      if (!v.is_object()) bad_input(file, where + ": message attribute " + name + " is not an object");
      sqs::attribute_value a;
      a.data_type = text_of(v, "dataType", "DataType");
      if (a.data_type.empty()) bad_input(file, where + ": message attribute " + name + " has no DataType");
      if (a.is_binary()) {
        const auto bytes = util::base64_decode(text_of(v, "binaryValue", "BinaryValue"));
        if (!bytes) bad_input(file, where + ": message attribute " + name + "'s BinaryValue is not base64");
        a.binary_value = *bytes;
      } else {
        a.string_value = text_of(v, "stringValue", "StringValue");
      }
      p.entry.attributes[name] = std::move(a);
    }
  }
  const json* system = nullptr;
  if (const auto a = item.find("attributes"); a != item.end() && a->is_object()) system = &*a;
  p.entry.group_id = text_of(item, "groupId", "MessageGroupId");
  if (p.entry.group_id.empty() && system) p.entry.group_id = text_of(*system, "MessageGroupId", nullptr);
  p.entry.deduplication_id = text_of(item, "deduplicationId", "MessageDeduplicationId");
  if (p.entry.deduplication_id.empty() && system) p.entry.deduplication_id = text_of(*system, "MessageDeduplicationId", nullptr);
  if (const auto d = item.find("delaySeconds"); d != item.end()) {
    if (!d->is_number_integer()) bad_input(file, where + ": delaySeconds is not a whole number");
    p.entry.delay_seconds = d->get<int>();
  }
  if (const auto at = item.find("at"); at != item.end()) {
    if (!at->is_number() || at->get<double>() < 0) bad_input(file, where + ": \"at\" (seconds after the start) is not a number ≥ 0");
    p.at_ms = static_cast<std::int64_t>(at->get<double>() * 1000);
  }
  return p;
}

std::vector<planned_message> read_messages(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) bad_input(file, "cannot open: " + std::string(std::strerror(errno)));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_simulate_input_bytes) {
      bad_input(file, "larger than " + std::to_string(max_simulate_input_bytes / (1024 * 1024)) + " MiB");
    }
  }
  std::vector<json> items;
  const std::string_view trimmed = util::trim(text);
  if (trimmed.empty()) bad_input(file, "holds no message");
  auto parse = [&](std::string_view t, std::size_t line) {
    if (auto problem = util::check_json(t)) {
      bad_input(file, (line ? "line " + std::to_string(line) + ": " : std::string()) + "not JSON: " + problem->message);
    }
    return json::parse(t);
  };
  if (trimmed.front() == '[' || (trimmed.front() == '{' && !util::check_json(trimmed))) {
    json whole = parse(trimmed, 0);
    if (whole.is_object() && whole.contains("Records") && whole["Records"].is_array()) whole = whole["Records"];
    if (whole.is_array()) {
      for (auto& i : whole) items.push_back(std::move(i));
    } else {
      items.push_back(std::move(whole));
    }
  } else {
    std::istringstream lines{std::string(trimmed)};
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (util::trim(line).empty()) continue;
      items.push_back(parse(line, n));
    }
  }
  if (items.empty()) bad_input(file, "holds no message");
  std::vector<planned_message> out;
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(message_of(items[i], file, i));
  return out;
}

struct history {
  std::string message_id, body, queue;
  std::int64_t sent_at = 0;
  json deliveries = json::array();
  std::string final_state = "in-queue", final_queue;
  std::int64_t final_at = -1;
};

class simulation {
public:
  simulation(boost::asio::io_context& ioc, const sqs_simulate_options& o, std::vector<planned_message> messages,
             std::vector<sqs_queue_spec> queues, sqs_trigger trigger)
      : m_ioc(ioc), m_opt(o), m_out(stdout, stderr), m_start(util::epoch_ms()), m_clock(ioc.get_executor(), m_start),
        m_store(m_clock, store_options_of(o)), m_poller(ioc.get_executor(), m_store, m_clock),
        m_scheduler(ioc.get_executor(), o.function, m_out,
                    scheduler_options{o.concurrency, trigger.max_concurrency + o.concurrency + 10, false, environment_options{}}),
        m_stats(o.function.memory_mb), m_records(o.record_file, o.json_report, false, m_out), m_messages(std::move(messages)),
        m_trigger(std::move(trigger)) {
    create_sqs_queues(m_store, queues);
    if (!m_store.exists(m_trigger.queue)) {
      throw core::usage_error("--sqs-trigger " + m_trigger.spec + ": no queue is named " + m_trigger.queue +
                              " (declare it with --sqs-queue " + m_trigger.queue + ")");
    }
    m_store.observer([this](const sqs::message_event& e) { observe(e); });
  }

  int run() {
    auto submit = [this](core::invocation inv, std::function<void(invoke_result)> done) {
      std::string event = m_records.records_events() ? inv.payload : std::string();
      return m_scheduler.submit(std::move(inv), [this, event = std::move(event), done = std::move(done)](invoke_result r) {
        if (r.outcome.kind != core::outcome_kind::cancelled) {
          m_records.add(m_stats, m_opt.function.memory_mb, invocation_meta{"sqs " + m_trigger.queue, m_records.records_events() ? event : std::string()}, r);
        }
        done(std::move(r));
      });
    };
    m_mapping = std::make_unique<sqs_mapping>(m_ioc.get_executor(), m_clock,
                                              sqs::local_queue(m_ioc.get_executor(), m_store, m_poller, m_trigger.queue),
                                              m_trigger, m_opt.function, m_opt.concurrency, submit, m_out);
    m_mapping->on_batch([this](const sqs_batch_report& b) { batch(b); });
    for (std::size_t i = 0; i < m_messages.size(); ++i) {
      if (m_messages[i].at_ms == 0) {
        send(i);
      } else {
        m_clock.at(m_start + m_messages[i].at_ms, [this, i] { send(i); });
      }
    }
    m_clock.at(m_start + m_opt.horizon_s * 1000, [this] {
      if (!m_ending) {
        m_out.log_line("lemu: sqs-simulate: the horizon (" + std::to_string(m_opt.horizon_s) +
                       " s, --sqs-horizon) is reached: what is left stays in its queue");
      }
      end();
    });
    m_mapping->start();

    boost::asio::signal_set signals(m_ioc, SIGINT, SIGTERM);
    signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      m_interrupted = true;
      m_out.log_line("lemu: stopping");
      m_scheduler.stop_all();
      end();
    });
    auto guard = boost::asio::make_work_guard(m_ioc);
    // Runs what is ready; when only waits are left (nothing invoked, nothing being deleted), the virtual
    // clock jumps to the next thing due.
    while (!m_done) {
      m_ioc.poll();
      if (m_done) break;
      if (m_mapping->idle() && m_scheduler.in_flight() == 0) {
        if (m_clock.advance()) continue;
        end(); // nothing can happen any more
        continue;
      }
      m_ioc.run_one();
    }
    signals.cancel();
    m_scheduler.stop_all();
    guard.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (process::child::running_count() > 0 && std::chrono::steady_clock::now() < deadline) {
      m_ioc.restart();
      m_ioc.run_for(std::chrono::milliseconds(5));
    }
    return report();
  }

private:
  static sqs::store_options store_options_of(const sqs_simulate_options& o) {
    sqs::store_options s;
    s.region = o.function.region;
    s.account_id = o.function.account_id;
    s.url_base = "http://sqs-simulate.invalid";
    return s;
  }

  void send(std::size_t i) {
    if (m_ending) return;
    auto r = m_store.send(m_trigger.queue, m_messages[i].entry);
    if (!r.ok()) {
      m_out.log_line("lemu: sqs-simulate: message " + std::to_string(i + 1) + " refused by the queue: " + r.err().code + ": " +
                     r.err().message);
      ++m_refused;
      check_all_final();
      return;
    }
    // A FIFO duplicate: the same id again; it is not a message of its own.
    if (m_index.count(r.value().message_id)) {
      ++m_duplicates;
      check_all_final();
      return;
    }
    history h;
    h.message_id = r.value().message_id;
    h.body = m_messages[i].entry.body;
    h.queue = m_trigger.queue;
    h.sent_at = m_clock.now_ms() - m_start;
    m_index[h.message_id] = m_history.size();
    m_history.push_back(std::move(h));
  }

  void observe(const sqs::message_event& e) {
    const auto it = m_index.find(e.message_id);
    if (it == m_index.end()) return;
    history& h = m_history[it->second];
    switch (e.kind) {
    case sqs::message_event::deleted:
      set_final(h, "deleted", e.queue, e.at_ms);
      break;
    case sqs::message_event::moved_to_dead_letter:
      set_final(h, "dead-letter", e.detail, e.at_ms);
      if (e.queue == m_trigger.queue && m_mapping) m_mapping->count_dead_letter();
      break;
    case sqs::message_event::expired:
      set_final(h, "expired", e.queue, e.at_ms);
      break;
    case sqs::message_event::purged:
      set_final(h, "purged", e.queue, e.at_ms);
      break;
    default:
      break;
    }
  }

  void set_final(history& h, const char* state, const std::string& queue, std::int64_t at) {
    if (h.final_at < 0 && h.final_state == "in-queue") ++m_final;
    h.final_state = state;
    h.final_queue = queue;
    h.final_at = at - m_start;
    check_all_final();
  }

  void check_all_final() {
    const bool all_sent = m_history.size() + m_refused + m_duplicates == m_messages.size();
    // Posted: this runs inside the store's calls (its observer), which must not be re-entered.
    if (all_sent && m_final == m_history.size()) boost::asio::post(m_ioc, [this] { end(); });
  }

  void batch(const sqs_batch_report& b) {
    for (const auto& m : b.messages) {
      const auto it = m_index.find(m.message_id);
      if (it == m_index.end()) continue;
      json d = json::object();
      d["at"] = b.at_ms - m_start;
      d["batch"] = b.batch;
      d["receiveCount"] = m.receive_count;
      d["outcome"] = m.failed ? "failed" : "success";
      if (m.failed && b.outcome != "partial") d["reason"] = b.outcome;
      d["requestId"] = b.request_id;
      m_history[it->second].deliveries.push_back(std::move(d));
    }
  }

  void end() {
    if (m_ending) return;
    m_ending = true;
    m_mapping->stop([this] { m_done = true; });
    m_poller.stop();
  }

  static std::string seconds(std::int64_t ms) { return fmt::format("{:.3f} s", static_cast<double>(ms) / 1000.0); }

  int report() {
    bool all_deleted = true;
    std::string table = "message                                deliveries  final         at\n";
    for (const history& h : m_history) {
      json j = json::object();
      j["messageId"] = h.message_id;
      j["body"] = h.body;
      j["queue"] = h.queue;
      j["sentAt"] = h.sent_at;
      j["deliveries"] = h.deliveries;
      j["final"] = h.final_state;
      if (!h.final_queue.empty()) j["finalQueue"] = h.final_queue;
      if (h.final_at >= 0) j["finalAt"] = h.final_at;
      const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace);
      m_out.write_outcome(line);
      if (h.final_state != "deleted") all_deleted = false;
      std::string state = h.final_state + (h.final_state == "dead-letter" ? " (" + h.final_queue + ")" : "");
      table += fmt::format("{:<38} {:<11} {:<13} {}\n", h.message_id, h.deliveries.size(), state,
                           h.final_at >= 0 ? seconds(h.final_at) : "-");
    }
    m_out.text("\nsqs-simulate (virtual time from the start):\n" + table);
    m_out.log_line(m_mapping->summary_line() + "; virtual time " + seconds(m_clock.now_ms() - m_start));
    m_out.text(m_stats.summary.render_table());
    m_out.flush();
    if (m_interrupted) return core::exit_interrupted;
    return all_deleted && m_refused == 0 ? core::exit_ok : core::exit_failed;
  }

  boost::asio::io_context& m_ioc;
  const sqs_simulate_options& m_opt;
  output m_out;
  std::int64_t m_start;
  sqs::virtual_clock m_clock;
  sqs::store m_store;
  sqs::poller m_poller;
  function_scheduler m_scheduler;
  function_statistics m_stats;
  serve_records m_records;
  std::vector<planned_message> m_messages;
  sqs_trigger m_trigger;
  std::unique_ptr<sqs_mapping> m_mapping;
  std::vector<history> m_history;
  std::map<std::string, std::size_t> m_index;
  std::size_t m_final = 0, m_refused = 0, m_duplicates = 0;
  bool m_ending = false, m_done = false, m_interrupted = false;
};

} // namespace

int simulate_sqs(const sqs_simulate_options& options) {
  process::check_bootstrap(options.function);
  std::vector<named_path> inputs{{"--sqs-simulate", options.messages_file},
                                 {"the bootstrap", options.function.bootstrap.string()}};
  if (!options.env_file.empty()) inputs.push_back({"--env-file", options.env_file});
  std::vector<named_path> outputs;
  if (!options.json_report.empty()) outputs.push_back({"--json", options.json_report});
  if (!options.record_file.empty()) outputs.push_back({"--record", options.record_file});
  refuse_overlaps(inputs, outputs);
  if (options.horizon_s < 1) throw core::usage_error("--sqs-horizon must be at least 1 second");

  std::vector<sqs_queue_spec> queues;
  for (const auto& q : options.queues) queues.push_back(parse_sqs_queue(q));
  if (queues.empty()) queues.push_back(parse_sqs_queue("queue"));
  sqs_trigger trigger = parse_sqs_trigger(options.trigger.empty() ? queues.front().name : options.trigger);
  std::vector<planned_message> messages = read_messages(options.messages_file);

  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context ioc(1);
  process::watchdog::start();
  simulation sim(ioc, options, std::move(messages), std::move(queues), std::move(trigger));
  return sim.run();
}

} // namespace lemu::app
