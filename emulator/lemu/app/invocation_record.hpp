#pragma once
// An invocation's result as a stats record (REPORT line, summary, JSON report), shared by `lemu run` and
// `lemu serve`.

#include <lemu/app/invoke_result.hpp>
#include <lemu/stats/record.hpp>

#include <chrono>

namespace lemu::app {

stats::status status_of(core::outcome_kind k);

// Fills in what `r` measured: request id, environment, tenant, cold, init, start (ms since `run_started`),
// duration, billed duration, memory, status and error type. Index, source and line are the caller's.
void fill_record(stats::invocation_record& rec, const invoke_result& r, std::uint32_t memory_size_mb,
                 std::chrono::steady_clock::time_point run_started);

} // namespace lemu::app
