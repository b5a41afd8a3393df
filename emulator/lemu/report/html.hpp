#pragma once
// One self-contained HTML page for a run or a replay: the summary table, latency histograms, a timeline of
// invocations per execution environment, and the failures with their details. Nothing is fetched: CSS is
// inline, the charts are inline SVG drawn here, and a Content-Security-Policy meta tag forbids every load.
// The markup is also well-formed XML (every element closed, attributes quoted, only XML's own entities),
// so `xmllint --noout page.html` checks its structure. Pure: returns text.

#include <lemu/report/junit.hpp>
#include <lemu/stats/record.hpp>
#include <lemu/stats/summary.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace lemu::report {

struct html_input {
  std::string title;                          // "lemu replay captured.jsonl"
  std::string generated_at;                   // ISO 8601
  std::optional<stats::summary_numbers> summary; // the summary table (run_summary::numbers()); when absent
                                                // it is computed from `records`
  std::vector<stats::invocation_record> records; // per invocation, any order (drawn in index order)
  std::vector<test_case> failures;            // mismatches and errors with their details
};

// The page (UTF-8, "<!DOCTYPE html>" first). Sections, in order, each a <section id=...>:
//  - "summary": the CLI's table (phase, count, p50, p90, p99, max) and its totals lines as the CLI prints them,
//    then, with more than one tenant, <table class="tenants"> (tenant, count, cold, failed, p50, p99);
//  - "latency": three histograms, one <svg class="chart histogram" id="hist-init|hist-cold|hist-warm"> each
//    (bars in <g class="bars">, one <rect> per bucket, empty buckets included, each with a <title>);
//  - "timeline": one <svg class="chart timeline" id="timeline-chart">: a row per environment_id (ascending), a
//    rect per invocation from start_ms to start_ms + duration_ms in <g class="invoke"> (successes) or
//    <g class="failed"> (any other status), preceded for a cold one by its init (start_ms - init_ms to
//    start_ms) in <g class="init">; at most the first `timeline_cap` invocations by index, with a note
//    when there were more; then a per-environment table when more than one environment ran;
//  - "failures": per test case its status, name, class name, message and details (in <pre>); at most
//    `failures_cap` cases, each's details cut at `details_cap` bytes, with notes when cut.
// All text from the input is cleaned (text.hpp) and escaped.
std::string render_html(const html_input& in);

inline constexpr std::size_t timeline_cap = 5000;
inline constexpr std::size_t failures_cap = 200;
inline constexpr std::size_t details_cap = 64 * 1024;

// Buckets of a latency histogram.
struct histogram {
  std::vector<double> edges;        // ascending; bucket i is [edges[i], edges[i+1])
  std::vector<std::size_t> counts;  // one per bucket: counts.size() + 1 == edges.size(); both empty when no values
  bool log_scale = false;           // edges on the 1-1.5-2-3-5-7 sequence (equal-width bars, log axis)
};

// Buckets for `values_ms` (NaN and infinities ignored, negatives counted as 0).
//  - All values 0: one bucket [0, 1).
//  - max / (smallest positive value) <= 20: linear buckets of a "nice" width w (1, 2 or 5 x 10^k, the
//    smallest >= (max - min) / target, or >= max / target when max == min; target = 2 * ceil(sqrt(n))
//    within [5, 20] for n values), starting at floor(min / w) * w, as many as needed for max to fall in
//    the last: 1 to 22 buckets.
//  - Otherwise log: edges m x 10^k for m in 1, 1.5, 2, 3, 5, 7, from the largest edge <= the smallest
//    positive value to the first edge > max; zeros go into the first bucket.
histogram make_histogram(const std::vector<double>& values_ms);

// Chart geometry in SVG user units (each <svg> has viewBox="0 0 width height"), public for tests.
namespace chart {
// Histogram: plot area x in [hist_left, hist_width - hist_right], y in [hist_top, hist_height - hist_bottom].
// Bucket i of n is at x = hist_left + i * plot_width / n, width plot_width / n - 1 (no gap below 4 units);
// its height is count / max_count * plot_height, standing on the x axis.
inline constexpr double hist_width = 400, hist_height = 230;
inline constexpr double hist_left = 48, hist_right = 12, hist_top = 12, hist_bottom = 50;
// Timeline: x(t) = timeline_left + (t - t0) / (t1 - t0) * plot_width, t0 = min(0, earliest init start),
// t1 = latest invocation end (t0 + 1 if not after t0). Row r (0-based) spans y in
// [timeline_top + r * row_height, + row_height); bars are inset by row_height / 6 top and bottom.
// row_height is 18 up to 30 environments, then max(4, 540 / environments). Bars are at least 1 unit wide.
inline constexpr double timeline_width = 1200;
inline constexpr double timeline_left = 64, timeline_right = 16, timeline_top = 8, timeline_bottom = 44;
inline constexpr double timeline_min_bar = 1;
double timeline_row_height(std::size_t environments);
} // namespace chart

} // namespace lemu::report
