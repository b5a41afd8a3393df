#include <lemu/stats/environments.hpp>

#include <lemu/util/text.hpp>

#include <algorithm>
#include <cstdio>

namespace lemu::stats {

void environment_summary::add(const invocation_record& r) {
  totals& t = m_envs[r.environment_id];
  ++t.invocations;
  if (r.status != status::success) ++t.failed;
  if (r.init_ms) t.init_ms = r.init_ms;
  if (!r.cold) {
    ++t.warm;
    t.warm_total_ms += r.duration_ms;
    t.warm_max_ms = std::max(t.warm_max_ms, r.duration_ms);
  }
  t.max_memory_used_mb = std::max(t.max_memory_used_mb, r.max_memory_used_mb);
}

std::string environment_summary::render_table(std::size_t max_rows) const {
  if (m_envs.size() <= 1) return {};
  if (m_envs.size() > max_rows) {
    return std::to_string(m_envs.size()) + " execution environments (per-environment rows omitted; see --json)\n";
  }
  const auto ms = [](bool has, double v) { return has ? util::fixed2(v) + "ms" : std::string("-"); };
  std::string out = "env  invocations  failed       init  warm mean   warm max  max memory\n";
  char line[256];
  for (const auto& [id, t] : m_envs) {
    const bool warm = t.warm > 0;
    const double mean = warm ? t.warm_total_ms / static_cast<double>(t.warm) : 0.0;
    std::snprintf(line, sizeof line, "%3u  %11zu  %6zu  %9s  %9s  %9s  %7u MB\n", id, t.invocations, t.failed,
                  ms(t.init_ms.has_value(), t.init_ms.value_or(0.0)).c_str(), ms(warm, mean).c_str(),
                  ms(warm, t.warm_max_ms).c_str(), t.max_memory_used_mb);
    out += line;
  }
  return out;
}

} // namespace lemu::stats
