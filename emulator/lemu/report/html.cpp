#include <lemu/report/html.hpp>

#include <lemu/report/html_charts.hpp>
#include <lemu/report/text.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/utf8.hpp>

#include <algorithm>
#include <array>
#include <vector>
#include <cmath>
#include <string_view>
#include <utility>

namespace lemu::report {

namespace {

using detail::ms;

constexpr std::size_t details_open = 10; // failures shown unfolded

constexpr std::string_view style = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; background: #f9fafb; margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 8px 0 2px; word-break: break-all; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
.meta, .note, .caption { color: #6b7280; margin: 4px 0; }
.note { font-style: italic; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 12px 3px 0; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 1px solid #d1d5db; color: #4b5563; font-weight: 600; }
tbody th { font-weight: 500; }
.totals { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; margin: 8px 0 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; flex: 1 1 380px; max-width: 400px; }
figcaption { font-size: 12px; margin-bottom: 4px; }
figcaption strong { display: block; font-size: 13px; }
figcaption span { color: #6b7280; }
svg.chart { display: block; max-width: 100%; height: auto; font: 10px system-ui, sans-serif; }
svg .axis line, svg .axis path { stroke: #6b7280; }
svg .grid line { stroke: #e5e7eb; }
svg text { fill: #4b5563; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.scroll { overflow-x: auto; }
ol.failures { list-style: none; padding: 0; margin: 0; }
ol.failures li { border-top: 1px solid #e5e7eb; padding: 6px 0; }
summary { cursor: pointer; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 4px; padding: 0 6px; margin-right: 6px; color: #fff; }
.badge.failed { background: #d97706; }
.badge.error { background: #dc2626; }
.badge.passed { background: #16a34a; }
.name { font-weight: 600; word-break: break-all; }
.message { color: #374151; margin-left: 6px; }
.classname { color: #6b7280; font-size: 12px; margin: 4px 0; }
pre { background: #f3f4f6; border-radius: 6px; padding: 8px 10px; margin: 4px 0; max-height: 480px; overflow: auto; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
)";

// ---- summary -------------------------------------------------------------------------------------------

void summary_section(std::string& out, const stats::summary_numbers& s) {
  out += "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"scroll\"><table class=\"summary\">\n";
  out += "<thead><tr><th>phase</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr></thead>\n";
  out += "<tbody>\n";
  std::vector<std::pair<const char*, const stats::phase_numbers*>> rows{{
      {"init (cold)", &s.init},
      {"invoke cold", &s.invoke_cold},
      {"invoke warm", &s.invoke_warm},
  }};
  // With INVOKE extensions: their time after the runtime answered (PostRuntimeExtensionsDuration).
  if (s.post_runtime.count > 0) rows.push_back({"extensions (after the runtime)", &s.post_runtime});
  // Streamed responses: time to first byte, and the rest of the stream.
  if (s.ttfb.count > 0) rows.push_back({"time to first byte (streamed)", &s.ttfb});
  if (s.stream.count > 0) rows.push_back({"stream (first byte to end)", &s.stream});
  for (const auto& [label, phase] : rows) {
    out += "<tr><th scope=\"row\">";
    out += label;
    out += "</th><td>" + std::to_string(phase->count) + "</td>";
    for (const double v : {phase->p50, phase->p90, phase->p99, phase->max}) {
      out += "<td>";
      out += phase->count == 0 ? std::string("-") : ms(v);
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table></div>\n";
  // The totals lines exactly as the CLI prints them below its table.
  for (const std::string& line : s.totals_lines()) {
    out += "<p class=\"totals\">";
    out += html_escape(line);
    out += "</p>\n";
  }
  // Tenant isolation: one row per tenant, when there was more than one.
  if (s.tenants.size() > 1) {
    out += "<h3>Tenants</h3>\n<div class=\"scroll\"><table class=\"tenants\">\n";
    out += "<thead><tr><th>tenant</th><th>count</th><th>cold</th><th>failed</th><th>p50</th><th>p99</th></tr></thead>\n";
    out += "<tbody>\n";
    for (const auto& t : s.tenants) {
      out += "<tr><th scope=\"row\">";
      out += t.others ? std::string("(other tenants)") : t.tenant_id.empty() ? std::string("(no tenant)") : html_escape(t.tenant_id);
      out += "</th><td>" + std::to_string(t.count) + "</td><td>" + std::to_string(t.cold) + "</td><td>" +
             std::to_string(t.failed) + "</td><td>" + ms(t.p50) + "</td><td>" + ms(t.p99) + "</td></tr>\n";
    }
    out += "</tbody>\n</table></div>\n";
  }
  out += "</section>\n";
}

// ---- failures ------------------------------------------------------------------------------------------

void failures_section(std::string& out, const std::vector<test_case>& failures) {
  out += "<section id=\"failures\">\n<h2>Failures (" + std::to_string(failures.size()) + ")</h2>\n";
  if (failures.empty()) {
    out += "<p class=\"meta\">No failures.</p>\n</section>\n";
    return;
  }
  const std::size_t shown = std::min(failures.size(), failures_cap);
  if (failures.size() > shown) {
    out += "<p class=\"note\">Showing the first " + std::to_string(shown) + " of " + std::to_string(failures.size()) +
           " failures.</p>\n";
  }
  out += "<ol class=\"failures\">\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const test_case& c = failures[i];
    const char* cls = to_string(c.status);
    const char* badge = c.status == test_case::result::failed  ? "mismatch"
                        : c.status == test_case::result::error ? "error"
                                                               : "passed";
    out += "<li class=\"";
    out += cls;
    out += "\"><details";
    if (i < details_open) out += " open=\"\"";
    out += "><summary><span class=\"badge ";
    out += cls;
    out += "\">";
    out += badge;
    out += "</span><span class=\"name\">";
    out += html_escape(c.name.empty() ? std::string("(unnamed)") : c.name);
    out += "</span><span class=\"message\">";
    out += html_escape(c.message);
    out += "</span></summary>\n<p class=\"classname\">";
    out += html_escape(c.classname);
    const double t = std::isfinite(c.time_s) && c.time_s > 0 ? c.time_s : 0;
    out += " \u00b7 " + (t < 1 ? util::fixed2(t * 1000) + " ms" : util::fixed2(t) + " s") + "</p>\n";
    if (!c.details.empty()) {
      const std::string_view cut = util::utf8_prefix(c.details, details_cap);
      out += "<pre>";
      out += html_escape(cut);
      out += "</pre>\n";
      if (cut.size() < c.details.size()) {
        out += "<p class=\"note\">Details cut: " + std::to_string(cut.size()) + " of " +
               std::to_string(c.details.size()) + " bytes shown.</p>\n";
      }
    }
    out += "</details></li>\n";
  }
  out += "</ol>\n</section>\n";
}
} // namespace

std::string render_html(const html_input& in) {
  std::vector<const stats::invocation_record*> recs;
  recs.reserve(in.records.size());
  for (const auto& r : in.records) recs.push_back(&r);
  std::stable_sort(recs.begin(), recs.end(), [](const auto* a, const auto* b) { return a->index < b->index; });

  stats::summary_numbers summary;
  if (in.summary) {
    summary = *in.summary;
  } else {
    stats::run_summary computed(in.records.empty() ? 128u : in.records.front().memory_size_mb);
    for (const auto* r : recs) computed.add(*r);
    summary = computed.numbers();
  }

  std::string out;
  out.reserve(16 * 1024 + std::min(recs.size(), timeline_cap) * 200);
  const std::string title = in.title.empty() ? std::string("lemu report") : in.title;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n";
  out += "<meta name=\"generator\" content=\"lemu\"/>\n<title>";
  out += html_escape(title);
  out += "</title>\n<style>";
  out += style;
  out += "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>";
  out += html_escape(title);
  out += "</h1>\n<p class=\"meta\">Generated";
  if (!in.generated_at.empty()) out += " " + html_escape(in.generated_at);
  out += " by lemu \u00b7 " + std::to_string(summary.invocations) + " invocations \u00b7 " +
         std::to_string(summary.invocations - summary.succeeded) + " failed \u00b7 " +
         std::to_string(in.failures.size()) + (in.failures.size() == 1 ? " failure" : " failures") +
         " listed</p>\n</header>\n";
  summary_section(out, summary);
  detail::latency_section(out, summary, recs);
  detail::timeline_section(out, recs);
  failures_section(out, in.failures);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

} // namespace lemu::report
