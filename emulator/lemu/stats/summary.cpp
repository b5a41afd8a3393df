#include <lemu/stats/summary.hpp>

#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <vector>
#include <charconv>
#include <cmath>

namespace lemu::stats {

namespace {

// A stored float as the double with the same shortest decimal form (12.31f -> 12.31, not 12.3100004196...),
// so that the JSON report and the table show what was measured rather than float noise.
double widen(float f) {
  std::array<char, 64> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), f);
  if (ec != std::errc{}) return static_cast<double>(f);
  double d = 0;
  const auto res = std::from_chars(buf.data(), end, d);
  if (res.ec != std::errc{}) return static_cast<double>(f);
  return d;
}

std::string pad_left(std::string_view s, std::size_t width) {
  std::string out;
  if (s.size() < width) out.assign(width - s.size(), ' ');
  out += s;
  return out;
}

std::string pad_right(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

phase_numbers phase_of(const duration_samples& s) {
  if (s.count() == 0) return {};
  return {s.count(), s.percentile(50), s.percentile(90), s.percentile(99), s.max()};
}

nlohmann::ordered_json phase_json(const phase_numbers& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["count"] = p.count;
  const bool empty = p.count == 0;
  j["p50_ms"] = empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.p50);
  j["p90_ms"] = empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.p90);
  j["p99_ms"] = empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.p99);
  j["max_ms"] = empty ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.max);
  return j;
}

} // namespace

namespace {
// The histogram: bucket b holds [lowest * growth^b, lowest * growth^(b+1)); bucket 0 also everything below.
constexpr double lowest_ms = 0.001;
constexpr double growth = 1.005;
constexpr std::size_t bucket_count = 4620; // lowest * growth^4620 > 10^7 ms; the last bucket holds the rest

std::size_t bucket_of(double ms) {
  if (!(ms > lowest_ms)) return 0;
  const auto b = static_cast<std::size_t>(std::log(ms / lowest_ms) / std::log(growth));
  return std::min(b, bucket_count - 1);
}

// A bucket's value: its geometric middle (within 0.25% of anything in it).
double bucket_value(std::size_t b) { return lowest_ms * std::pow(growth, static_cast<double>(b) + 0.5); }

// Nearest rank: the smallest value with at least p% of the samples at or below it, rank = ceil(p/100 * n),
// 1-based. p * n is exact for integral p, so 90th of 10 samples is rank 9, not 10 through rounding.
std::size_t nearest_rank(double p, std::size_t n) {
  const double rank = std::ceil(p * static_cast<double>(n) / 100.0);
  if (rank >= static_cast<double>(n)) return n;
  if (rank > 1) return static_cast<std::size_t>(rank);
  return 1;
}
} // namespace

void duration_samples::add(double ms) {
  ++m_count;
  m_max = m_count == 1 ? ms : std::max(m_max, ms);
  if (!m_buckets.empty()) {
    add_to_histogram(ms);
    return;
  }
  const auto f = static_cast<float>(ms);
  if (m_sorted && !m_samples.empty() && f < m_samples.back()) m_sorted = false;
  m_samples.push_back(f);
  if (m_samples.size() > m_exact_limit) to_histogram();
}

void duration_samples::add_to_histogram(double ms) { ++m_buckets[bucket_of(ms)]; }

void duration_samples::to_histogram() {
  m_buckets.assign(bucket_count, 0);
  for (const float f : m_samples) add_to_histogram(f);
  std::vector<float>().swap(m_samples);
  m_sorted = true;
}

double duration_samples::percentile(double p) const {
  const std::size_t n = m_count;
  if (n == 0) return 0;
  const std::size_t rank = nearest_rank(p, n);
  if (!m_buckets.empty()) {
    if (rank == n) return m_max; // the largest is known exactly
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < m_buckets.size(); ++b) {
      seen += m_buckets[b];
      if (seen >= rank) return std::min(bucket_value(b), m_max);
    }
    return m_max;
  }
  if (!m_sorted) {
    std::sort(m_samples.begin(), m_samples.end());
    m_sorted = true;
  }
  return widen(m_samples[rank - 1]);
}

double duration_samples::max() const {
  if (m_count == 0) return 0;
  if (!m_buckets.empty()) return m_max;
  if (m_sorted) return widen(m_samples.back());
  return widen(*std::max_element(m_samples.begin(), m_samples.end()));
}

void run_summary::add(const invocation_record& r) {
  ++m_totals.invocations;
  switch (r.status) {
  case status::success: ++m_totals.succeeded; break;
  case status::error: ++m_totals.errors; break;
  case status::timeout: ++m_totals.timeouts; break;
  case status::crash: ++m_totals.crashes; break;
  }
  m_totals.max_memory_used_mb = std::max(m_totals.max_memory_used_mb, r.max_memory_used_mb);
  if (r.init_ms) m_init.add(*r.init_ms);
  if (r.sqs) {
    ++m_totals.sqs_events;
    m_totals.sqs_messages += r.sqs->messages;
    m_totals.sqs_failed += r.sqs->failed.size();
  }
  // Every record counts its duration, whatever the outcome (a timeout's duration is the timeout).
  (r.cold ? m_invoke_cold : m_invoke_warm).add(r.duration_ms);
  if (r.post_runtime_extensions_ms) m_post_runtime.add(*r.post_runtime_extensions_ms);
  if (r.ttfb_ms) m_ttfb.add(*r.ttfb_ms);
  if (r.stream_ms) m_stream.add(*r.stream_ms);
  add_tenant(r);
}

void run_summary::add_tenant(const invocation_record& r) {
  if (!r.tenant_id.empty()) m_any_tenant = true;
  auto it = m_tenants.find(r.tenant_id);
  if (it == m_tenants.end() && m_tenants.size() < max_tenants) it = m_tenants.emplace(r.tenant_id, tenant_samples{}).first;
  tenant_samples& t = it != m_tenants.end() ? it->second : m_other_tenants ? *m_other_tenants : m_other_tenants.emplace();
  ++t.count;
  if (r.cold) ++t.cold;
  if (r.status != status::success) ++t.failed;
  t.durations.add(r.duration_ms);
}

summary_numbers run_summary::numbers() const {
  summary_numbers n = m_totals;
  n.init = phase_of(m_init);
  n.invoke_cold = phase_of(m_invoke_cold);
  n.invoke_warm = phase_of(m_invoke_warm);
  n.post_runtime = phase_of(m_post_runtime);
  n.ttfb = phase_of(m_ttfb);
  n.stream = phase_of(m_stream);
  if (m_any_tenant) {
    const auto row = [](const tenant_samples& t) {
      tenant_numbers numbers;
      numbers.count = t.count;
      numbers.cold = t.cold;
      numbers.failed = t.failed;
      numbers.p50 = t.durations.percentile(50);
      numbers.p99 = t.durations.percentile(99);
      return numbers;
    };
    for (const auto& [id, t] : m_tenants) {
      n.tenants.push_back(row(t));
      n.tenants.back().tenant_id = id;
    }
    if (m_other_tenants) {
      n.tenants.push_back(row(*m_other_tenants));
      n.tenants.back().others = true;
    }
  }
  return n;
}

std::vector<std::string> summary_numbers::totals_lines() const {
  static constexpr const char* sep = " \u00b7 ";
  std::vector<std::string> lines;
  lines.push_back("invocations " + std::to_string(invocations) + sep + "succeeded " + std::to_string(succeeded) + sep +
                  "errors " + std::to_string(errors) + sep + "timeouts " + std::to_string(timeouts) + sep +
                  "crashes " + std::to_string(crashes) + sep +
                  (cancelled > 0 ? "cancelled " + std::to_string(cancelled) + sep : std::string()) + "max memory used " +
                  (invocations == 0 ? std::string("-") : std::to_string(max_memory_used_mb) + " MB") + " of " + std::to_string(memory_size_mb) + " MB" +
                  (memory_method.empty() ? std::string() : " (" + memory_method + ")"));
  if (sqs_events > 0) {
    lines.push_back("sqs messages " + std::to_string(sqs_messages) + sep + "succeeded " +
                    std::to_string(sqs_messages - sqs_failed) + sep + "failed " + std::to_string(sqs_failed));
  }
  return lines;
}

namespace {

// The per-tenant table (see render_table), or "" with fewer than two tenants.
std::string render_tenants(const std::vector<tenant_numbers>& tenants) {
  if (tenants.size() < 2) return {};
  if (tenants.size() > run_summary::max_tenant_rows) {
    return std::to_string(tenants.size()) + " tenants (per-tenant rows omitted; see --json)\n";
  }
  constexpr std::size_t max_label = 40;
  const auto label_of = [](const tenant_numbers& t) {
    std::string label = t.others ? "(other tenants)" : t.tenant_id.empty() ? "(no tenant)" : t.tenant_id;
    if (label.size() > max_label) label = label.substr(0, max_label - 3) + "...";
    return label;
  };
  std::size_t width = 14;
  for (const auto& t : tenants) width = std::max(width, label_of(t).size() + 2);
  const auto ms = [](double v) { return util::fixed2(v) + "ms"; };
  std::string out = pad_right("tenant", width) + pad_left("count", 5) + pad_left("cold", 7) + pad_left("failed", 8) +
                    pad_left("p50", 10) + pad_left("p99", 10) + '\n';
  for (const auto& t : tenants) {
    out += pad_right(label_of(t), width) + pad_left(std::to_string(t.count), 5) + pad_left(std::to_string(t.cold), 7) +
           pad_left(std::to_string(t.failed), 8) + pad_left(ms(t.p50), 10) + pad_left(ms(t.p99), 10) + '\n';
  }
  return out;
}

} // namespace

std::string run_summary::render_table() const {
  struct row {
    std::string label, count;
    std::array<std::string, 4> cells;
  };
  const auto make_row = [](const char* label, const phase_numbers& p) {
    row r{label, std::to_string(p.count), {}};
    if (p.count == 0) {
      r.cells.fill("-");
    } else {
      r.cells[0] = util::fixed2(p.p50) + "ms";
      r.cells[1] = util::fixed2(p.p90) + "ms";
      r.cells[2] = util::fixed2(p.p99) + "ms";
      r.cells[3] = util::fixed2(p.max) + "ms";
    }
    return r;
  };
  const summary_numbers n = numbers();
  std::vector<row> rows{
      row{"phase", "count", {"p50", "p90", "p99", "max"}},
      make_row("init (cold)", n.init),
      make_row("invoke cold", n.invoke_cold),
      make_row("invoke warm", n.invoke_warm),
  };
  // With INVOKE extensions: how much of those durations they took after the runtime answered.
  if (n.post_runtime.count > 0) rows.push_back(make_row("extensions", n.post_runtime));
  // Streamed responses: time to first byte, and the rest of the stream.
  if (n.ttfb.count > 0) rows.push_back(make_row("ttfb", n.ttfb));
  if (n.stream.count > 0) rows.push_back(make_row("stream", n.stream));

  // Fixed widths as in the documented layout; a column only grows when a value would not fit.
  constexpr std::size_t label_width = 14;
  std::size_t count_width = 5;
  std::array<std::size_t, 4> cell_width{10, 10, 10, 10};
  for (const auto& r : rows) {
    count_width = std::max(count_width, r.count.size());
    for (std::size_t i = 0; i < r.cells.size(); ++i) cell_width[i] = std::max(cell_width[i], r.cells[i].size() + 2);
  }

  std::string out;
  for (const auto& r : rows) {
    out += pad_right(r.label, label_width);
    out += pad_left(r.count, count_width);
    for (std::size_t i = 0; i < r.cells.size(); ++i) out += pad_left(r.cells[i], cell_width[i]);
    out += '\n';
  }
  for (const std::string& line : n.totals_lines()) out += line + '\n';
  out += render_tenants(n.tenants);
  return out;
}

nlohmann::json run_summary::to_json() const {
  const summary_numbers n = numbers();
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["invocations"] = n.invocations;
  j["succeeded"] = n.succeeded;
  j["errors"] = n.errors;
  j["timeouts"] = n.timeouts;
  j["crashes"] = n.crashes;
  j["cancelled"] = n.cancelled;
  j["memory_size_mb"] = n.memory_size_mb;
  j["max_memory_used_mb"] = n.max_memory_used_mb;
  j["init"] = phase_json(n.init);
  j["invoke_cold"] = phase_json(n.invoke_cold);
  j["invoke_warm"] = phase_json(n.invoke_warm);
  if (n.post_runtime.count > 0) j["post_runtime_extensions"] = phase_json(n.post_runtime);
  if (n.ttfb.count > 0) j["ttfb"] = phase_json(n.ttfb);
  if (n.stream.count > 0) j["stream"] = phase_json(n.stream);
  if (n.sqs_events > 0) {
    j["sqs"] = {{"messages", n.sqs_messages}, {"succeeded", n.sqs_messages - n.sqs_failed}, {"failed", n.sqs_failed}};
  }
  if (!n.tenants.empty()) {
    nlohmann::ordered_json tenants = nlohmann::ordered_json::array();
    for (const auto& t : n.tenants) {
      nlohmann::ordered_json row = nlohmann::ordered_json::object();
      if (t.others) {
        row["others"] = true;
      } else if (t.tenant_id.empty()) {
        row["tenant_id"] = nullptr;
      } else {
        row["tenant_id"] = t.tenant_id;
      }
      row["count"] = t.count;
      row["cold"] = t.cold;
      row["failed"] = t.failed;
      row["p50_ms"] = t.p50;
      row["p99_ms"] = t.p99;
      tenants.push_back(std::move(row));
    }
    j["tenants"] = std::move(tenants);
  }
  return j;
}

nlohmann::ordered_json to_json(const invocation_record& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["index"] = r.index;
  j["source"] = r.source;
  j["line"] = r.line;
  j["request_id"] = r.request_id;
  j["environment_id"] = r.environment_id;
  if (!r.tenant_id.empty()) j["tenant_id"] = r.tenant_id;
  j["cold"] = r.cold;
  if (r.init_ms) {
    j["init_ms"] = *r.init_ms;
  } else {
    j["init_ms"] = nullptr;
  }
  j["start_ms"] = r.start_ms;
  j["duration_ms"] = r.duration_ms;
  if (r.post_runtime_extensions_ms) j["post_runtime_extensions_ms"] = *r.post_runtime_extensions_ms;
  if (r.ttfb_ms) j["ttfb_ms"] = *r.ttfb_ms;
  if (r.stream_ms) j["stream_ms"] = *r.stream_ms;
  if (r.streamed_bytes) j["streamed_bytes"] = *r.streamed_bytes;
  j["billed_ms"] = r.billed_ms;
  j["memory_size_mb"] = r.memory_size_mb;
  j["max_memory_used_mb"] = r.max_memory_used_mb;
  j["status"] = to_string(r.status);
  if (r.error_type.empty()) {
    j["error_type"] = nullptr;
  } else {
    j["error_type"] = r.error_type;
  }
  if (r.sqs) {
    nlohmann::ordered_json batch = nlohmann::ordered_json::object();
    batch["messages"] = r.sqs->messages;
    batch["failed"] = r.sqs->failed;
    if (r.sqs->whole_batch_reason.empty()) {
      batch["whole_batch_reason"] = nullptr;
    } else {
      batch["whole_batch_reason"] = r.sqs->whole_batch_reason;
    }
    j["sqs_batch"] = std::move(batch);
  } else {
    j["sqs_batch"] = nullptr;
  }
  return j;
}

} // namespace lemu::stats
