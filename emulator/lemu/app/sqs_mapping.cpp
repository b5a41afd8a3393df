#include <lemu/app/sqs_mapping.hpp>

#include <lemu/core/errors.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/events/generators.hpp>
#include <lemu/events/sqs_batch.hpp>
#include <lemu/util/base64.hpp>
#include <lemu/util/text.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

namespace lemu::app {

namespace {

constexpr std::size_t max_event_payload = 6291456; // the synchronous invocation limit the batch stays under
constexpr std::int64_t long_poll_ms = 20000;
constexpr std::int64_t retry_ms = 1000;

[[noreturn]] void bad(std::string_view option, std::string_view spec, const std::string& why) {
  throw core::usage_error(std::string(option) + " " + std::string(spec) + ": " + why);
}

std::size_t number(std::string_view option, std::string_view spec, std::string_view key, std::string_view value,
                   std::size_t lo, std::size_t hi) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < lo || n > hi) {
    bad(option, spec, std::string(key) + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                          ", not '" + std::string(value) + "'");
  }
  return n;
}

// The record of a received message, as Lambda builds it.
std::string record_of(const sqs::received_message& m, const sqs::queue_info& q) {
  events::sqs_record_fields f;
  f.message_id = m.message_id;
  f.receipt_handle = m.receipt_handle;
  f.body = m.body;
  for (const std::string& name : events::sqs_attribute_order()) {
    const auto it = m.system.find(name);
    if (it != m.system.end()) f.attributes.emplace_back(name, it->second);
  }
  for (const auto& [name, v] : m.attributes) {
    f.message_attributes.push_back({name, v.data_type, v.is_binary() ? util::base64_encode(v.binary_value) : v.string_value});
  }
  f.md5_of_attributes = m.md5_of_attributes;
  f.md5_of_body = m.md5_of_body;
  f.queue_arn = q.arn;
  f.region = q.region;
  return events::sqs_record(f).dump();
}

} // namespace

bool is_queue_url(std::string_view queue) { return queue.starts_with("http://") || queue.starts_with("https://"); }

sqs_trigger parse_sqs_trigger(std::string_view spec) {
  constexpr std::string_view option = "--sqs-trigger";
  sqs_trigger t;
  t.spec = std::string(spec);
  std::string_view head = spec, rest;
  // A queue URL holds ':' (http://host:port/…): its settings start at the first ':' after its path begins.
  const auto scheme = spec.find("://");
  const std::size_t from = scheme == std::string_view::npos ? 0 : spec.find('/', scheme + 3);
  const auto colon = from == std::string_view::npos ? std::string_view::npos : spec.find(':', from);
  if (colon != std::string_view::npos) {
    head = spec.substr(0, colon);
    rest = spec.substr(colon + 1);
  }
  if (const auto e = scheme == std::string_view::npos ? head.find('=') : head.rfind('='); e != std::string_view::npos) {
    t.queue = std::string(head.substr(0, e));
    t.function = std::string(head.substr(e + 1));
    if (t.function.empty()) bad(option, spec, "no function after '='");
  } else {
    t.queue = std::string(head);
  }
  if (t.queue.empty()) bad(option, spec, "no queue (QUEUE[=FUNCTION][:batch=N,window=S,report-failures,max-concurrency=N])");
  if (!rest.empty()) {
    for (std::string_view item : util::split(rest, ',')) {
      const auto e = item.find('=');
      const std::string_view key = item.substr(0, e);
      const std::string_view value = e == std::string_view::npos ? std::string_view() : item.substr(e + 1);
      if (key == "report-failures" || key == "ReportBatchItemFailures") {
        if (e != std::string_view::npos) bad(option, spec, "report-failures takes no value");
        t.report_failures = true;
      } else if (key == "batch" || key == "BatchSize") {
        t.batch_size = number(option, spec, "batch", value, 1, 10000);
      } else if (key == "window" || key == "MaximumBatchingWindowInSeconds") {
        t.window_s = static_cast<int>(number(option, spec, "window", value, 0, 300));
      } else if (key == "max-concurrency" || key == "MaximumConcurrency") {
        t.max_concurrency = number(option, spec, "max-concurrency", value, 2, 1000);
      } else {
        bad(option, spec, "unknown setting '" + std::string(key) + "' (batch, window, report-failures, max-concurrency)");
      }
    }
  }
  if (t.batch_size > 10 && t.window_s < 1) {
    bad(option, spec, "a batch of more than 10 needs window=1 or more (Lambda's MaximumBatchingWindowInSeconds)");
  }
  return t;
}

struct sqs_mapping::poller_slot {
  std::vector<sqs::received_message> batch;
  std::vector<std::string> records; // batch's records, as JSON text
  std::size_t payload = 0;          // bytes of the event with these records
  std::int64_t window_ends = 0;     // with a window: when the batch goes, at the latest
  std::vector<sqs::received_message> carry; // received, but over the 6 MB: the next batch's first
  std::optional<sqs::clock::timer_id> retry;
};

sqs_mapping::sqs_mapping(boost::asio::any_io_executor ex, sqs::clock& clock, std::unique_ptr<sqs::queue_client> queue,
                         sqs_trigger trigger, const core::function_config& fn, std::size_t function_concurrency,
                         submit_fn submit, output& out)
    : m_ex(std::move(ex)), m_clock(clock), m_queue(std::move(queue)), m_trigger(std::move(trigger)), m_fn(fn),
      m_slots(m_trigger.max_concurrency ? m_trigger.max_concurrency : std::max<std::size_t>(1, function_concurrency)),
      m_submit(std::move(submit)), m_out(out) {
  if (m_queue->info().fifo && m_trigger.batch_size > 10) {
    throw core::usage_error("--sqs-trigger " + m_trigger.spec + ": a FIFO queue's batch is at most 10");
  }
  if (m_queue->info().fifo && m_trigger.window_s > 0) {
    throw core::usage_error("--sqs-trigger " + m_trigger.spec + ": a FIFO queue takes no batching window");
  }
}

sqs_mapping::~sqs_mapping() {
  for (const auto& p : m_pollers) {
    if (p->retry) m_clock.cancel(*p->retry);
  }
}

void sqs_mapping::start() {
  const auto timeout_s = std::chrono::duration_cast<std::chrono::seconds>(m_fn.timeout).count();
  const int visibility = m_queue->info().visibility_timeout_s;
  if (visibility < timeout_s + m_trigger.window_s) {
    m_out.log_line("lemu: warning: queue " + m_queue->info().name + "'s visibility timeout (" + std::to_string(visibility) +
                   " s) is less than the function's timeout" + (m_trigger.window_s ? " plus the batching window" : "") + " (" +
                   std::to_string(timeout_s + m_trigger.window_s) +
                   " s): Lambda refuses such a mapping, and a message can be delivered again while it is being processed");
  }
  for (std::size_t i = 0; i < m_slots; ++i) {
    auto slot = std::make_shared<poller_slot>();
    m_pollers.push_back(slot);
    poll(slot);
  }
}

void sqs_mapping::stop(std::function<void()> done) {
  m_stopped = true;
  m_stop_done = std::move(done);
  for (const auto& p : m_pollers) {
    if (p->retry) {
      m_clock.cancel(*p->retry);
      p->retry.reset();
    }
  }
  m_queue->stop();
  settle();
}

bool sqs_mapping::idle() const { return m_outstanding == 0; }

void sqs_mapping::settle() {
  if (!m_stopped || m_outstanding != 0 || !m_stop_done) return;
  auto done = std::move(m_stop_done);
  m_stop_done = nullptr;
  boost::asio::post(m_ex, std::move(done));
}

void sqs_mapping::poll(const std::shared_ptr<poller_slot>& slot) {
  slot->batch.clear();
  slot->records.clear();
  slot->payload = 13; // {"Records":[]}
  slot->window_ends = 0;
  if (m_stopped) {
    return settle();
  }
  // Messages left over from the last batch (it would have gone past 6 MB) start this one.
  std::vector<sqs::received_message> carry = std::move(slot->carry);
  slot->carry.clear();
  if (!carry.empty()) return received(slot, std::move(carry));
  gather(slot);
}

void sqs_mapping::gather(const std::shared_ptr<poller_slot>& slot) {
  if (m_stopped) {
    // Received but not delivered: they come back after their visibility timeout.
    return settle();
  }
  const std::size_t room = m_trigger.batch_size - slot->batch.size();
  const int want = static_cast<int>(std::min<std::size_t>(10, room));
  std::int64_t wait = long_poll_ms;
  if (!slot->batch.empty()) wait = std::clamp<std::int64_t>(slot->window_ends - m_clock.now_ms(), 0, long_poll_ms);
  std::weak_ptr<poller_slot> weak = slot;
  m_queue->receive(want, wait, [this, weak](sqs::result<std::vector<sqs::received_message>> r) {
    if (auto s = weak.lock()) received(s, std::move(r));
  });
}

void sqs_mapping::received(const std::shared_ptr<poller_slot>& slot, sqs::result<std::vector<sqs::received_message>> r) {
  if (!r.ok()) {
    const std::int64_t now = m_clock.now_ms();
    if (now - m_last_error_log >= 10000) {
      m_out.log_line("lemu: sqs-trigger " + m_trigger.queue + ": ReceiveMessage failed: " + r.err().code + ": " +
                     r.err().message + " (retrying every second)");
      m_last_error_log = now;
    }
    if (m_stopped) {
      return settle();
    }
    std::weak_ptr<poller_slot> weak = slot;
    slot->retry = m_clock.at(now + retry_ms, [this, weak] {
      if (auto s = weak.lock()) {
        s->retry.reset();
        gather(s);
      }
    });
    return;
  }
  for (auto& m : r.value()) {
    std::string rec = record_of(m, m_queue->info());
    const std::size_t grown = slot->payload + rec.size() + (slot->records.empty() ? 0 : 1);
    if (grown > max_event_payload && !slot->batch.empty()) {
      slot->carry.push_back(std::move(m)); // the next batch's
      continue;
    }
    ++m_stats.received;
    slot->payload = grown;
    slot->records.push_back(std::move(rec));
    slot->batch.push_back(std::move(m));
  }
  if (slot->batch.empty()) return gather(slot); // nothing yet: poll again
  if (m_trigger.window_s > 0 && slot->window_ends == 0) {
    slot->window_ends = m_clock.now_ms() + static_cast<std::int64_t>(m_trigger.window_s) * 1000;
  }
  const bool full = slot->batch.size() >= m_trigger.batch_size || !slot->carry.empty();
  if (full || m_trigger.window_s == 0 || m_clock.now_ms() >= slot->window_ends || m_stopped) return invoke(slot);
  gather(slot);
}

void sqs_mapping::invoke(const std::shared_ptr<poller_slot>& slot) {
  std::string payload = "{\"Records\":[";
  payload.reserve(slot->payload);
  for (std::size_t i = 0; i < slot->records.size(); ++i) {
    if (i) payload += ',';
    payload += slot->records[i];
  }
  payload += "]}";
  slot->records.clear();

  core::invocation inv;
  inv.request_id = m_ids.request_id();
  inv.payload = std::move(payload);
  inv.function_arn = m_fn.function_arn();
  inv.trace_id = m_ids.trace_id();
  inv.timeout = m_fn.timeout;
  const std::uint64_t number = ++m_stats.batches;
  const std::int64_t at_ms = m_clock.now_ms();
  std::vector<sqs::received_message> batch = std::move(slot->batch);
  slot->batch.clear();
  m_stats.in_flight += batch.size();
  ++m_outstanding;
  const std::string request_id = inv.request_id;
  auto shared_batch = std::make_shared<std::vector<sqs::received_message>>(std::move(batch));
  std::weak_ptr<poller_slot> weak = slot;
  const bool taken = m_submit(std::move(inv), [this, weak, shared_batch, number, at_ms](invoke_result r) {
    --m_outstanding;
    m_stats.in_flight -= shared_batch->size();
    if (auto s = weak.lock()) {
      finished(s, std::move(*shared_batch), number, at_ms, r);
    } else {
      settle();
    }
  });
  if (!taken) {
    --m_outstanding;
    m_stats.in_flight -= shared_batch->size();
    ++m_stats.throttled;
    m_out.log_line("lemu: sqs-trigger " + m_trigger.queue + ": the function's queue is full: batch " + std::to_string(number) +
                   " (" + std::to_string(shared_batch->size()) + " messages) comes back after the visibility timeout");
    std::weak_ptr<poller_slot> w = slot;
    slot->retry = m_clock.at(m_clock.now_ms() + retry_ms, [this, w] {
      if (auto s = w.lock()) {
        s->retry.reset();
        poll(s);
      }
    });
  }
}

void sqs_mapping::finished(const std::shared_ptr<poller_slot>& slot, std::vector<sqs::received_message> batch,
                           std::uint64_t number, std::int64_t at_ms, const invoke_result& r) {
  const core::outcome& o = r.failed_after_answer ? *r.failed_after_answer : r.outcome;
  const bool ok = o.ok() && !r.failed_after_answer;
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  for (const auto& m : batch) ids.push_back(m.message_id);
  std::set<std::string> failed;
  std::string outcome;
  if (o.kind == core::outcome_kind::cancelled) {
    for (const auto& id : ids) failed.insert(id);
    outcome = "cancelled";
  } else if (m_trigger.report_failures) {
    const events::batch_result b = events::evaluate_sqs_batch(ids, ok, o.payload);
    failed.insert(b.failed.begin(), b.failed.end());
    if (!b.whole_batch_reason.empty()) {
      outcome = ok ? b.whole_batch_reason : o.error_type;
    } else {
      outcome = failed.empty() ? "success" : "partial";
    }
  } else if (!ok) {
    for (const auto& id : ids) failed.insert(id);
    outcome = o.error_type.empty() ? "failed" : o.error_type;
  } else {
    outcome = "success";
  }
  if (failed.size() == batch.size() && !batch.empty() && outcome != "success") ++m_stats.failed_batches;

  sqs_batch_report report;
  report.batch = number;
  report.at_ms = at_ms;
  report.request_id = r.request_id;
  report.outcome = outcome;
  std::vector<std::string> receipts;
  std::vector<std::uint32_t> counts;
  for (const auto& m : batch) {
    const bool f = failed.count(m.message_id) > 0;
    report.messages.push_back({m.message_id, m.receive_count, f});
    if (!f) {
      receipts.push_back(m.receipt_handle);
      counts.push_back(m.receive_count);
    }
  }
  if (m_on_batch) m_on_batch(report);
  if (!receipts.empty()) {
    ++m_outstanding;
    const std::size_t n = receipts.size();
    m_queue->delete_messages(std::move(receipts), [this, n, counts = std::move(counts)](sqs::status st) {
      --m_outstanding;
      if (st) {
        m_out.log_line("lemu: sqs-trigger " + m_trigger.queue + ": DeleteMessageBatch failed: " + st->code + ": " + st->message +
                       " (those messages come back after the visibility timeout)");
      } else {
        m_stats.deleted += n;
        for (const std::uint32_t c : counts) ++m_stats.deleted_after[c];
      }
      settle();
    });
  }
  poll(slot);
  settle();
}

std::string sqs_mapping::summary_line() const {
  const sqs_mapping_stats& s = m_stats;
  std::string line = "queue " + m_queue->info().name + " -> " + m_fn.function_name + ": " + std::to_string(s.received) +
                     " deliveries in " + std::to_string(s.batches) + " batches (" + std::to_string(s.failed_batches) +
                     " failed whole); deleted " + std::to_string(s.deleted);
  if (!s.deleted_after.empty()) {
    line += " (";
    bool first = true;
    for (const auto& [count, n] : s.deleted_after) {
      if (!first) line += ", ";
      first = false;
      line += std::to_string(n) + " after " + std::to_string(count) + (count == 1 ? " delivery" : " deliveries");
    }
    line += ")";
  }
  line += "; moved to DLQ " + std::to_string(s.dead_lettered) + "; in flight " + std::to_string(s.in_flight);
  if (s.throttled) line += "; throttled batches " + std::to_string(s.throttled);
  return line;
}

} // namespace lemu::app
