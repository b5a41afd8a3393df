#pragma once
// Internal to the HTML report (html.cpp): its two chart sections, drawn in html_charts.cpp, and what both
// files use. The public chart geometry and make_histogram stay in html.hpp.

#include <lemu/report/html.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lemu::report::detail {

inline constexpr std::string_view color_init = "#f59e0b";
inline constexpr std::string_view color_invoke = "#3b82f6";
inline constexpr std::string_view color_failed = "#dc2626";

// A duration as the summary table prints it: "1.23ms".
std::string ms(double v);

// <section id="latency">: the three histograms.
void latency_section(std::string& out, const stats::summary_numbers& s,
                     const std::vector<const stats::invocation_record*>& recs);

// <section id="timeline">: invocations per environment over time, then the per-environment table.
void timeline_section(std::string& out, const std::vector<const stats::invocation_record*>& all);

} // namespace lemu::report::detail
