#pragma once
// Per-run aggregation: percentiles of init, cold-invoke and warm-invoke durations (exact up to 65,536
// samples per phase, then from a histogram within 0.25%), outcome counts, and the renderings of the summary
// (text table for stderr, JSON object; the numbers themselves for other renderers). Pure; the caller prints.

#include <lemu/stats/record.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lemu::stats {

// A growing set of durations (ms) with nearest-rank percentiles, in bounded memory: exact up to
// `exact_limit` samples (4 bytes each, float ms); past that the samples move into a log-bucketed
// histogram (buckets 0.5% wide from 1 µs to 10^7 ms, about 37 KB) and percentiles are within 0.25% of the
// exact value, so that a server running for days (lemu serve) or a replay of millions of events holds
// a fixed amount. count() and max() stay exact.
class duration_samples {
public:
  static constexpr std::size_t default_exact_limit = 65536;

  explicit duration_samples(std::size_t exact_limit = default_exact_limit) : m_exact_limit(exact_limit) {}

  void add(double ms);
  std::size_t count() const { return m_count; }
  // Nearest-rank percentile, p in (0, 100]; 0 when empty. Sorts lazily (mutable cache).
  double percentile(double p) const;
  double max() const;
  // True once the samples went into the histogram (percentiles approximate).
  bool approximate() const { return !m_buckets.empty(); }

private:
  void to_histogram();
  void add_to_histogram(double ms);

  std::size_t m_exact_limit;
  std::size_t m_count = 0;
  double m_max = 0;
  mutable std::vector<float> m_samples;
  mutable bool m_sorted = true;
  std::vector<std::uint64_t> m_buckets; // empty while exact
};

// One phase row of the summary: its sample count and durations in ms (all 0 when the count is 0).
struct phase_numbers {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// One tenant's row of the summary (tenant isolation): its invocations, cold starts, failures, and the
// percentiles of their Duration (cold and warm together).
struct tenant_numbers {
  std::string tenant_id;  // "" for invocations without a tenant (a replay that mixes both)
  bool others = false;    // the row of every tenant past max_tenants (tenant_id is then "")
  std::size_t count = 0, cold = 0, failed = 0;
  double p50 = 0, p99 = 0;
};

// Everything the summary table shows, as numbers (run_summary::numbers()), for renderers other than the text
// table (the HTML report).
struct summary_numbers {
  std::uint32_t memory_size_mb = 128, max_memory_used_mb = 0;
  std::size_t invocations = 0, succeeded = 0, errors = 0, timeouts = 0, crashes = 0, cancelled = 0;
  std::size_t sqs_events = 0, sqs_messages = 0, sqs_failed = 0;
  std::string memory_method; // "cgroup v1", "watcher", ...; "" when unknown
  phase_numbers init, invoke_cold, invoke_warm;
  phase_numbers post_runtime; // the extensions' time after the runtime answered (only with INVOKE extensions)
  phase_numbers ttfb;         // streamed responses: delivery -> first byte
  phase_numbers stream;       // streamed responses: first byte -> end of the stream
  // Per tenant, by tenant id ("" first), the tenants past the first max_tenants in one last row; empty when
  // no invocation had a tenant.
  std::vector<tenant_numbers> tenants;

  // The lines that follow the phase rows in the table, without '\n':
  //   invocations 400 · succeeded 400 · errors 0 · timeouts 0 · crashes 0 · max memory used 9 MB of 128 MB (cgroup v1)
  //   ("· cancelled N" before the memory when invocations were cancelled; the method when it is known)
  //   sqs messages 30 · succeeded 28 · failed 2          (only when SQS events were run)
  std::vector<std::string> totals_lines() const;
};

class run_summary {
public:
  // Tenants with a row of their own; the invocations of any further tenant share one "(other tenants)" row.
  static constexpr std::size_t max_tenants = 1000;
  // Duration samples kept exactly per tenant before its histogram (duration_samples) takes over.
  static constexpr std::size_t tenant_exact_limit = 4096;
  // Tenant rows the text table shows at most; beyond, one line says how many tenants there were.
  static constexpr std::size_t max_tenant_rows = 32;

  explicit run_summary(std::uint32_t memory_size_mb) { m_totals.memory_size_mb = memory_size_mb; }

  void add(const invocation_record& r);
  // An invocation lemu stopped (Ctrl-C) before it finished: counted apart, in no other figure.
  void add_cancelled() { ++m_totals.cancelled; }
  // How Max Memory Used was measured ("cgroup v1", "watcher", ...), shown after it.
  void set_memory_method(std::string method) { m_totals.memory_method = std::move(method); }

  std::size_t invocations() const { return m_totals.invocations; }
  std::size_t succeeded() const { return m_totals.succeeded; }
  std::size_t errors() const { return m_totals.errors; }
  std::size_t timeouts() const { return m_totals.timeouts; }
  std::size_t crashes() const { return m_totals.crashes; }
  std::size_t cancelled() const { return m_totals.cancelled; }
  std::uint32_t max_memory_used_mb() const { return m_totals.max_memory_used_mb; }
  std::size_t sqs_messages() const { return m_totals.sqs_messages; }
  std::size_t sqs_failed() const { return m_totals.sqs_failed; }
  const duration_samples& init() const { return m_init; }
  const duration_samples& invoke_cold() const { return m_invoke_cold; }
  const duration_samples& invoke_warm() const { return m_invoke_warm; }

  summary_numbers numbers() const;

  // The table printed at the end of a run (lines end with '\n'):
  //   phase         count       p50       p90       p99       max
  //   init (cold)       4   12.31ms   14.02ms   14.90ms   14.90ms
  //   invoke cold       4    1.20ms    1.41ms    1.52ms    1.52ms
  //   invoke warm     396    0.05ms    0.07ms    0.11ms    0.30ms
  //   invocations 400 · succeeded 400 · errors 0 · timeouts 0 · crashes 0 · max memory used 9 MB of 128 MB (cgroup v1)
  // ("· cancelled N" before the memory when an interrupted run cancelled invocations; the method in
  // parentheses when one was set).
  // A row with no samples shows "-" in each duration column. When SQS events were run, one more line:
  //   sqs messages 30 · succeeded 28 · failed 2
  // A column widens only if a value does not fit.
  // When invocations had tenants and there is more than one tenant, a per-tenant table follows (the
  // tenant column as wide as the longest id, up to 40 characters; longer ids are cut, ending in "..."):
  //   tenant          count   cold  failed       p50       p99
  //   blue                2      1       0    0.05ms    0.30ms
  //   green               2      1       0    0.04ms    0.28ms
  // ("(no tenant)" for invocations without one; "(other tenants)" past max_tenants; past
  // max_tenant_rows rows, one line instead: "40 tenants (per-tenant rows omitted; see --json)").
  std::string render_table() const;

  // {"invocations":N,"succeeded":N,"errors":N,"timeouts":N,"crashes":N,"cancelled":N,"memory_size_mb":N,"max_memory_used_mb":N,
  //  "init":{"count":N,"p50_ms":x,"p90_ms":x,"p99_ms":x,"max_ms":x},"invoke_cold":{...},"invoke_warm":{...}}
  // The four durations are null when count is 0. Every record adds its duration to invoke cold or warm,
  // whatever its status; init_ms, when set, to init. When invocations had tenants, also
  // "tenants":[{"tenant_id":"blue","count":N,"cold":N,"failed":N,"p50_ms":x,"p99_ms":x},...] (tenant_id
  // null for invocations without one; {"others":true,...} for the tenants past max_tenants).
  nlohmann::json to_json() const;

private:
  struct tenant_samples {
    // User-provided: clang 14 does not see a nested class with member initializers as constructible
    // inside its enclosing class (std::optional<tenant_samples>::emplace()).
    tenant_samples() : durations(tenant_exact_limit) {}
    std::size_t count = 0, cold = 0, failed = 0;
    duration_samples durations;
  };
  void add_tenant(const invocation_record& r);

  summary_numbers m_totals; // the counts; its phase figures are filled from the samples by numbers()
  duration_samples m_init, m_invoke_cold, m_invoke_warm, m_post_runtime, m_ttfb, m_stream;
  std::map<std::string, tenant_samples> m_tenants; // every invocation's tenant, "" included
  std::optional<tenant_samples> m_other_tenants;   // past max_tenants
  bool m_any_tenant = false;                       // an invocation had a tenant
};

// One JSON report record (a line of the --json file):
// {"index":0,"source":"events/sqs.json","line":0,"request_id":"…","environment_id":1,"cold":true,
//  "init_ms":12.3|null,"start_ms":0.5,"duration_ms":1.2,"billed_ms":14,"memory_size_mb":128,"max_memory_used_mb":9,
//  "status":"success","error_type":null|"…", ("tenant_id":"blue" after environment_id when it has one)
//  "sqs_batch":null|{"messages":3,"failed":["<messageId>",…],"whole_batch_reason":null|"…"}}
nlohmann::ordered_json to_json(const invocation_record& r);

} // namespace lemu::stats
