#pragma once
// Per-execution-environment aggregates for the end-of-run summary: a few numbers per environment (no
// samples), so that a run with many environments (--cold) stays small. Pure; the caller prints.

#include <lemu/stats/record.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lemu::stats {

class environment_summary {
public:
  struct totals {
    std::size_t invocations = 0;
    std::size_t failed = 0;          // any status but success
    std::optional<double> init_ms;   // Init Duration of its cold start
    std::size_t warm = 0;
    double warm_total_ms = 0;
    double warm_max_ms = 0;
    std::uint32_t max_memory_used_mb = 0;
  };

  void add(const invocation_record& r);
  std::size_t environments() const { return m_envs.size(); }
  const std::map<std::uint32_t, totals>& by_environment() const { return m_envs; }

  // One row per environment, or an empty string when there was only one environment; with more than
  // `max_rows` environments, one line saying how many there were instead.
  //   env  invocations  failed      init  warm mean   warm max  max memory
  //     1          500       0    5.12ms     0.05ms     0.30ms        3 MB
  std::string render_table(std::size_t max_rows = 32) const;

private:
  std::map<std::uint32_t, totals> m_envs;
};

} // namespace lemu::stats
