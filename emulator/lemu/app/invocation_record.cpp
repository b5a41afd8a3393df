#include <lemu/app/invocation_record.hpp>

#include <lemu/stats/platform_log.hpp>

namespace lemu::app {

namespace {
std::uint32_t to_mb(std::uint64_t bytes) { return static_cast<std::uint32_t>((bytes + (1u << 20) - 1) >> 20); }
} // namespace

stats::status status_of(core::outcome_kind k) {
  switch (k) {
  case core::outcome_kind::success: return stats::status::success;
  case core::outcome_kind::timeout: return stats::status::timeout;
  case core::outcome_kind::runtime_exit:
  case core::outcome_kind::out_of_memory:
  case core::outcome_kind::invalid_entrypoint:
  case core::outcome_kind::sandbox_failure:
  case core::outcome_kind::extension_failure: return stats::status::crash;
  default: return stats::status::error;
  }
}

void fill_record(stats::invocation_record& rec, const invoke_result& r, std::uint32_t memory_size_mb,
                 std::chrono::steady_clock::time_point run_started) {
  rec.request_id = r.request_id;
  rec.environment_id = r.environment_id;
  rec.tenant_id = r.tenant_id;
  rec.cold = r.cold;
  rec.init_ms = r.init_ms;
  const auto began = r.started_at == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now() : r.started_at;
  rec.start_ms = std::chrono::duration<double, std::milli>(began - run_started).count();
  rec.duration_ms = r.duration_ms;
  rec.billed_ms = stats::billed_duration_ms(r.duration_ms, r.init_ms);
  rec.memory_size_mb = memory_size_mb;
  rec.max_memory_used_mb = to_mb(r.max_memory_bytes);
  rec.post_runtime_extensions_ms = r.post_runtime_extensions_ms;
  rec.ttfb_ms = r.ttfb_ms;
  rec.stream_ms = r.stream_ms;
  if (r.outcome.streamed) rec.streamed_bytes = r.outcome.streamed_bytes;
  rec.status = status_of(r.outcome.kind);
  rec.error_type = r.outcome.error_type;
  if (r.failed_after_answer) {
    rec.status = status_of(r.failed_after_answer->kind);
    rec.error_type = r.failed_after_answer->error_type;
  }
}

} // namespace lemu::app
