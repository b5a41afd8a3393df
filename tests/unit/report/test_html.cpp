// The HTML report: its sections, that it loads nothing, escaping of hostile text, well-formedness
// (xmllint), and the geometry of the histograms and the timeline for known inputs.
#include <lemu/report/html.hpp>
#include <lemu/report/text.hpp>

#include "xmllint.hpp"

#include <support/command.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace lemu::report {
namespace {

using stats::invocation_record;
using stats::status;

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + needle.size())) ++n;
  return n;
}

// The text from `begin` (included) to the next `end` (included); "" when absent.
std::string between(const std::string& text, const std::string& begin, const std::string& end) {
  const auto a = text.find(begin);
  if (a == std::string::npos) return "";
  const auto b = text.find(end, a + begin.size());
  if (b == std::string::npos) return "";
  return text.substr(a, b + end.size() - a);
}

struct box {
  double x, y, w, h;
};

std::vector<box> rects(const std::string& svg) {
  static const std::regex re(R"re(<rect x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)">)re");
  std::vector<box> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
  }
  return out;
}

void expect_box(const box& b, double x, double y, double w, double h, const std::string& what) {
  EXPECT_NEAR(b.x, x, 0.006) << what;
  EXPECT_NEAR(b.y, y, 0.006) << what;
  EXPECT_NEAR(b.w, w, 0.006) << what;
  EXPECT_NEAR(b.h, h, 0.006) << what;
}

invocation_record rec(std::size_t index, std::uint32_t env, bool cold, std::optional<double> init, double start,
                      double duration, status st = status::success, std::string error_type = "") {
  invocation_record r;
  r.index = index;
  r.source = "events/e.jsonl";
  r.line = index + 1;
  r.request_id = "req-" + std::to_string(index);
  r.environment_id = env;
  r.cold = cold;
  r.init_ms = init;
  r.start_ms = start;
  r.duration_ms = duration;
  r.billed_ms = static_cast<std::uint64_t>(std::ceil(duration + init.value_or(0)));
  r.max_memory_used_mb = 12;
  r.status = st;
  r.error_type = std::move(error_type);
  return r;
}

// Four invocations on two environments, given out of index order.
std::vector<invocation_record> small_run() {
  return {
      rec(2, 2, true, 5.0, 15, 5, status::timeout, "Sandbox.Timedout"),
      rec(0, 1, true, 10.0, 10, 20),
      rec(3, 2, false, std::nullopt, 45, 0),
      rec(1, 1, false, std::nullopt, 40, 10),
  };
}

// Well-formed as XML (the page is written as polyglot markup): xmllint's exit code, and its complaints.
std::string xml_errors(const std::string& html) {
  test::scratch_dir dir;
  const std::string path = dir.write("page.html", html);
  const auto r = test::run_command({testing::xmllint(), "--noout", path});
  return r.exit_code == 0 ? "" : "exit " + std::to_string(r.exit_code) + ": " + r.err;
}

// ~300 invocations on 3 environments with a few failures: the sample page.
html_input synthetic_run(stats::run_summary& summary) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<invocation_record> recs;
  for (std::uint32_t env = 1; env <= 3; ++env) {
    const double init = 35 + 25 * unit(rng);
    double t = 2.0 * env + init; // the run starts, the process starts, init, then the first event
    for (int k = 0; k < 100; ++k) {
      const bool cold = k == 0;
      double d = cold ? 6 + 4 * unit(rng) : 0.8 + 2.5 * unit(rng) * unit(rng);
      if (unit(rng) < 0.03) d += 20 + 30 * unit(rng); // a slow one now and then
      auto r = rec(0, env, cold, cold ? std::optional<double>(init) : std::nullopt, t, d);
      recs.push_back(r);
      t += d + 0.3 + 2 * unit(rng);
    }
  }
  std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
  for (std::size_t i = 0; i < recs.size(); ++i) {
    recs[i].index = i;
    recs[i].line = i + 1;
  }
  recs[57].status = status::error;
  recs[57].error_type = "Unhandled";
  recs[190].status = status::error;
  recs[190].error_type = "TypeError";
  html_input in;
  in.title = "lemu replay captured.jsonl";
  in.generated_at = "2026-11-27T00:45:00Z";
  for (const auto& r : recs) summary.add(r);
  in.summary = summary.numbers();
  in.records = recs;
  in.failures = {
      {"captured.jsonl:58", "lemu.replay.captured", recs[57].duration_ms / 1000, test_case::result::error, "Unhandled",
       R"j({"errorType":"Unhandled","errorMessage":"Cannot read properties of undefined (reading 'total')"})j"},
      {"checkout-with-coupon", "lemu.replay.captured", 0.0021, test_case::result::failed,
       "response differs at $.body.total",
       "--- expected\n+++ actual\n@@ $.body @@\n   \"currency\": \"EUR\",\n-  \"total\": 42.5,\n+  \"total\": 41.95,\n"
       "   \"items\": 3\n"},
      {"captured.jsonl:191", "lemu.replay.captured", recs[190].duration_ms / 1000, test_case::result::error, "TypeError",
       R"j({"errorType":"TypeError","errorMessage":"x is not a function","stackTrace":["at handler (index.js:12:5)"]})j"},
  };
  return in;
}

TEST(html, page_has_every_section_and_one_svg_per_chart) {
  stats::run_summary summary(128);
  const html_input in = synthetic_run(summary);
  const std::string page = render_html(in);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(page.find("<meta charset=\"utf-8\"/>"), std::string::npos);
  EXPECT_NE(page.find("<title>lemu replay captured.jsonl</title>"), std::string::npos);
  for (const char* id : {"summary", "latency", "timeline", "failures"}) {
    EXPECT_EQ(count(page, std::string("<section id=\"") + id + "\">"), 1u) << id;
  }
  EXPECT_LT(page.find("id=\"summary\""), page.find("id=\"latency\""));
  EXPECT_LT(page.find("id=\"latency\""), page.find("id=\"timeline\""));
  EXPECT_LT(page.find("id=\"timeline\""), page.find("id=\"failures\""));
  EXPECT_EQ(count(page, "<svg"), 4u);
  EXPECT_EQ(count(page, "</svg>"), 4u);
  for (const char* id : {"hist-init", "hist-cold", "hist-warm", "timeline-chart"}) {
    EXPECT_EQ(count(page, std::string("id=\"") + id + "\""), 1u) << id;
  }
  // Element ids are unique.
  std::vector<std::string> ids;
  static const std::regex id_re(R"re( id="([^"]*)")re");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), id_re); it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1]);
  }
  EXPECT_EQ(ids.size(), 8u);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  EXPECT_EQ(xml_errors(page), "");
  EXPECT_LT(page.size(), 200u * 1024); // 300 invocations
}

TEST(html, loads_nothing_from_anywhere) {
  stats::run_summary summary(128);
  const std::string page = render_html(synthetic_run(summary));
  // The only URL is the SVG namespace, once per <svg>.
  EXPECT_EQ(count(page, "http://"), count(page, "<svg"));
  EXPECT_EQ(count(page, "http://"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(count(page, "https://"), 0u);
  EXPECT_EQ(count(page, "//"), count(page, "http://")); // no protocol-relative URLs either
  for (const char* ref : {"src=", "href=", "url(", "@import", "<link", "<script", "<img", "<iframe", "<object"}) {
    EXPECT_EQ(page.find(ref), std::string::npos) << ref;
  }
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\""),
            std::string::npos);
}

TEST(html, hostile_text_is_escaped) {
  const std::string evil = "<script>alert('x')</script><img src=x onerror=alert(1)>&amp;\"\x1b[31m\x01\xff";
  stats::run_summary summary(128);
  auto r = rec(0, 1, true, 1.0, 1, 1, status::error, evil);
  r.source = evil;
  summary.add(r);
  html_input in;
  in.title = evil;
  in.generated_at = evil;
  in.summary = summary.numbers();
  in.records = {r};
  in.failures = {{evil, evil, 1, test_case::result::failed, evil, evil + "</pre>]]>"}};
  const std::string page = render_html(in);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("</pre>]]>"), std::string::npos);
  EXPECT_EQ(page.find('\x1b'), std::string::npos);
  EXPECT_EQ(page.find('\x01'), std::string::npos);
  const std::string escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;&quot;";
  EXPECT_NE(page.find("<title>" + escaped), std::string::npos);
  EXPECT_NE(page.find("<span class=\"name\">" + escaped + "\u2401\uFFFD</span>"), std::string::npos);
  EXPECT_NE(page.find("<pre>" + escaped + "\u2401\uFFFD&lt;/pre&gt;]]&gt;</pre>"), std::string::npos);
  EXPECT_GE(count(page, escaped), 6u); // title, h1, generated, failure name/message/class/details, tooltip
  EXPECT_EQ(xml_errors(page), "");
}

TEST(html, summary_table_as_the_cli_prints_it) {
  stats::run_summary summary(256);
  for (const auto& r : small_run()) summary.add(r);
  html_input in;
  in.title = "t";
  in.summary = summary.numbers();
  in.records = small_run();
  const std::string page = render_html(in);
  const std::string table = between(page, "<table class=\"summary\">", "</table>");
  EXPECT_NE(table.find("<tr><th>phase</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>"),
            std::string::npos);
  EXPECT_NE(table.find("<tr><th scope=\"row\">init (cold)</th><td>2</td><td>5.00ms</td><td>10.00ms</td><td>10.00ms</td>"
                       "<td>10.00ms</td></tr>"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("<tr><th scope=\"row\">invoke cold</th><td>2</td><td>5.00ms</td><td>20.00ms</td>"), std::string::npos);
  EXPECT_NE(table.find("<tr><th scope=\"row\">invoke warm</th><td>2</td><td>0.00ms</td><td>10.00ms</td>"), std::string::npos);
  EXPECT_NE(page.find("<p class=\"totals\">invocations 4 \u00b7 succeeded 3 \u00b7 errors 0 \u00b7 timeouts 1 \u00b7 crashes 0 "
                      "\u00b7 max memory used 12 MB of 256 MB</p>"),
            std::string::npos);

  // Without a summary, it is computed from the records (Memory Size from them).
  in.summary = std::nullopt;
  const std::string computed = render_html(in);
  EXPECT_NE(computed.find("max memory used 12 MB of 128 MB"), std::string::npos);
  EXPECT_EQ(between(computed, "<table class=\"summary\">", "</table>"), table);
}

TEST(html, empty_phase_shows_dashes_and_an_empty_chart) {
  html_input in;
  in.records = {rec(0, 1, false, std::nullopt, 0, 1)};
  const std::string page = render_html(in);
  EXPECT_NE(page.find("<tr><th scope=\"row\">init (cold)</th><td>0</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>"),
            std::string::npos);
  const std::string init_svg = between(page, "id=\"hist-init\"", "</svg>");
  EXPECT_NE(init_svg.find(">no samples</text>"), std::string::npos);
  EXPECT_TRUE(rects(init_svg).empty());
  EXPECT_EQ(count(page, "<svg"), 4u);
  EXPECT_EQ(xml_errors(page), "");

  html_input nothing;
  const std::string empty = render_html(nothing);
  EXPECT_EQ(count(empty, "<svg"), 4u);
  EXPECT_NE(empty.find(">no invocations</text>"), std::string::npos);
  EXPECT_NE(empty.find("No failures."), std::string::npos);
  EXPECT_EQ(xml_errors(empty), "");
}

TEST(make_histogram, linear_buckets) {
  const histogram h = make_histogram({1, 1, 2, 3, 9});
  EXPECT_FALSE(h.log_scale);
  // 5 values: target 2 * ceil(sqrt(5)) = 6 buckets; width (9 - 1) / 6 = 1.33 -> 2, from 0; 9 in [8, 10)
  EXPECT_EQ(h.edges, (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(h.counts, (std::vector<std::size_t>{2, 2, 0, 0, 1}));

  // 400 values over [10, 30]: 20 buckets wanted, width 1, from 10; 30 falls in a 21st bucket [30, 31).
  std::vector<double> many;
  for (int i = 0; i < 400; ++i) many.push_back(10 + 20.0 * i / 399);
  const histogram m = make_histogram(many);
  EXPECT_FALSE(m.log_scale);
  ASSERT_EQ(m.edges.size(), 22u);
  EXPECT_DOUBLE_EQ(m.edges.front(), 10);
  EXPECT_DOUBLE_EQ(m.edges[1], 11);
  EXPECT_DOUBLE_EQ(m.edges.back(), 31);
  std::size_t total = 0;
  for (const auto c : m.counts) total += c;
  EXPECT_EQ(total, 400u);
  EXPECT_EQ(m.counts.back(), 1u); // only 30 itself
  EXPECT_EQ(m.counts.front(), 20u); // 10 + 20 i / 399 < 11 for i < 19.95
}

TEST(make_histogram, log_buckets_when_the_range_is_wide) {
  const histogram h = make_histogram({0.04, 0.05, 1, 10, 0});
  EXPECT_TRUE(h.log_scale);
  const std::vector<double> edges{0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 15};
  ASSERT_EQ(h.edges.size(), edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i) EXPECT_DOUBLE_EQ(h.edges[i], edges[i]) << i;
  std::vector<std::size_t> expected(16, 0);
  expected[0] = 2; // 0.04 and the zero
  expected[1] = 1; // 0.05 (edges are inclusive below)
  expected[9] = 1; // 1
  expected[15] = 1; // 10
  EXPECT_EQ(h.counts, expected);
}

TEST(make_histogram, degenerate_inputs) {
  EXPECT_TRUE(make_histogram({}).edges.empty());
  EXPECT_TRUE(make_histogram({std::nan("")}).counts.empty());
  const histogram zeros = make_histogram({0, 0, -1});
  EXPECT_EQ(zeros.edges, (std::vector<double>{0, 1}));
  EXPECT_EQ(zeros.counts, (std::vector<std::size_t>{3}));
  const histogram one = make_histogram({7, 7, 7});
  EXPECT_FALSE(one.log_scale);
  std::size_t total = 0;
  for (const auto c : one.counts) total += c;
  EXPECT_EQ(total, 3u);
  EXPECT_LE(one.edges.front(), 7);
  EXPECT_GT(one.edges.back(), 7);
  // Power-of-ten minimum: its own bucket starts at it.
  const histogram p = make_histogram({0.1, 100});
  EXPECT_DOUBLE_EQ(p.edges.front(), 0.1);
  EXPECT_EQ(p.counts.front(), 1u);
  EXPECT_EQ(p.counts.back(), 1u);
}

TEST(html, histogram_geometry) {
  html_input in;
  for (std::size_t i = 0; i < 5; ++i) {
    const double d[] = {1, 1, 2, 3, 9};
    in.records.push_back(rec(i, 1, false, std::nullopt, 10.0 * static_cast<double>(i), d[i]));
  }
  const std::string page = render_html(in);
  const std::string svg = between(page, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart histogram\" id=\"hist-warm\"", "</svg>");
  ASSERT_FALSE(svg.empty());
  EXPECT_NE(svg.find("viewBox=\"0 0 400 230\""), std::string::npos);
  const std::vector<box> bars = rects(between(svg, "<g class=\"bars\"", "</g>"));
  ASSERT_EQ(bars.size(), 5u); // [0, 2) [2, 4) [4, 6) [6, 8) [8, 10): 2 2 0 0 1
  // plot 340 x 168 from (48, 12): buckets 68 wide (67 drawn), max count 2 is the full height.
  const double bw = (chart::hist_width - chart::hist_left - chart::hist_right) / 5;
  const double plot_h = chart::hist_height - chart::hist_top - chart::hist_bottom;
  const double base = chart::hist_top + plot_h;
  EXPECT_DOUBLE_EQ(bw, 68);
  EXPECT_DOUBLE_EQ(plot_h, 168);
  expect_box(bars[0], chart::hist_left, base - plot_h, bw - 1, plot_h, "bucket 0 (two)");
  expect_box(bars[1], chart::hist_left + bw, base - plot_h, bw - 1, plot_h, "bucket 1 (two)");
  expect_box(bars[2], chart::hist_left + 2 * bw, base, bw - 1, 0, "bucket 2 (empty)");
  expect_box(bars[4], chart::hist_left + 4 * bw, base - plot_h / 2, bw - 1, plot_h / 2, "bucket 4 (one)");
  EXPECT_NE(svg.find("<title>0\u20132 ms: 2 invocations</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>8\u201310 ms: 1 invocation</title>"), std::string::npos);
  // Edge labels under the axis, count labels beside it.
  for (const char* label : {">0</text>", ">2</text>", ">4</text>", ">10</text>", ">1</text>"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_NE(svg.find(">Duration (ms)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">invocations</text>"), std::string::npos);
  EXPECT_NE(page.find("n=5 \u00b7 p50 2.00ms \u00b7 p99 9.00ms \u00b7 max 9.00ms"), std::string::npos);
}

TEST(html, timeline_geometry) {
  html_input in;
  in.records = small_run();
  const std::string page = render_html(in);
  const std::string svg = between(page, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart timeline\" id=\"timeline-chart\"", "</svg>");
  ASSERT_FALSE(svg.empty());
  // t0 = 0, t1 = 50 ms over 1120 units: 22.4 per ms; rows of 18 from y = 8, bars inset by 3.
  const double plot_w = chart::timeline_width - chart::timeline_left - chart::timeline_right;
  const double k = plot_w / 50;
  const double left = chart::timeline_left;
  EXPECT_DOUBLE_EQ(chart::timeline_row_height(2), 18);
  const double row0 = chart::timeline_top + 3, row1 = chart::timeline_top + 18 + 3;
  EXPECT_NE(svg.find("viewBox=\"0 0 1200 88\""), std::string::npos); // 8 + 2 * 18 + 44

  const std::vector<box> init = rects(between(svg, "<g class=\"init\"", "</g>"));
  ASSERT_EQ(init.size(), 2u);
  expect_box(init[0], left, row0, 10 * k, 12, "init of #0 (env 1): 0 -> 10");
  expect_box(init[1], left + 10 * k, row1, 5 * k, 12, "init of #2 (env 2): 10 -> 15");

  const std::vector<box> invoke = rects(between(svg, "<g class=\"invoke\"", "</g>"));
  ASSERT_EQ(invoke.size(), 3u);
  expect_box(invoke[0], left + 10 * k, row0, 20 * k, 12, "#0: 10 -> 30");
  expect_box(invoke[1], left + 40 * k, row0, 10 * k, 12, "#1: 40 -> 50");
  expect_box(invoke[2], left + 45 * k, row1, chart::timeline_min_bar, 12, "#3: 45, zero duration");

  const std::vector<box> failed = rects(between(svg, "<g class=\"failed\"", "</g>"));
  ASSERT_EQ(failed.size(), 1u);
  expect_box(failed[0], left + 15 * k, row1, 5 * k, 12, "#2: 15 -> 20, timeout");

  EXPECT_NE(svg.find(">env 1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">env 2</text>"), std::string::npos);
  EXPECT_NE(svg.find(">ms since the run started</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>#2 events/e.jsonl:3 \u00b7 env 2 \u00b7 at 15.00 ms \u00b7 5.00 ms \u00b7 cold \u00b7 timeout "
                     "Sandbox.Timedout</title>"),
            std::string::npos);
  EXPECT_NE(page.find("4 invocations on 2 environments \u00b7 2 cold starts \u00b7 peak concurrency 2 \u00b7 1 failed "
                      "\u00b7 over 50.00ms"),
            std::string::npos);
  // Axis ticks every 5 ms from 0 to 50.
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">50</text>"), std::string::npos);
  // More than one environment: the per-environment table.
  EXPECT_NE(page.find("<table class=\"environments\">"), std::string::npos);
}

TEST(html, timeline_caps_at_5000_invocations) {
  html_input in;
  for (std::size_t i = 0; i < timeline_cap + 7; ++i) {
    in.records.push_back(rec(i, 1, i == 0, i == 0 ? std::optional<double>(3) : std::nullopt, static_cast<double>(i), 0.5));
  }
  const std::string page = render_html(in);
  EXPECT_NE(page.find("Showing the first 5000 of 5007 invocations."), std::string::npos);
  const std::string svg = between(page, "id=\"timeline-chart\"", "</svg>");
  EXPECT_EQ(rects(between(svg, "<g class=\"invoke\"", "</g>")).size(), 5000u);
  EXPECT_EQ(page.find("<table class=\"environments\">"), std::string::npos); // one environment
  EXPECT_NE(page.find("<p class=\"totals\">invocations 5007 "), std::string::npos); // the summary counts them all
  EXPECT_LT(page.size(), 1024u * 1024);
}

TEST(html, many_environments_get_thinner_rows) {
  EXPECT_DOUBLE_EQ(chart::timeline_row_height(30), 18);
  EXPECT_DOUBLE_EQ(chart::timeline_row_height(60), 9);
  EXPECT_DOUBLE_EQ(chart::timeline_row_height(1000), 4);
  html_input in;
  for (std::uint32_t i = 0; i < 60; ++i) in.records.push_back(rec(i, i + 1, true, 2.0, 3.0 * i + 2, 1)); // --cold
  const std::string page = render_html(in);
  EXPECT_NE(page.find(">env 1</text>"), std::string::npos);
  EXPECT_EQ(page.find(">env 2</text>"), std::string::npos); // labels every other row
  EXPECT_NE(page.find(">env 3</text>"), std::string::npos);
  EXPECT_NE(page.find("60 invocations on 60 environments \u00b7 60 cold starts \u00b7 peak concurrency 1"), std::string::npos);
  EXPECT_NE(page.find("28 more environments are not listed."), std::string::npos); // the table stops at 32 rows
}

TEST(html, failures_are_listed_capped_and_cut) {
  html_input in;
  for (std::size_t i = 0; i < failures_cap + 1; ++i) {
    in.failures.push_back({"case " + std::to_string(i), "lemu.replay.x", 0.01, test_case::result::failed, "differs", "diff"});
  }
  in.failures[0].status = test_case::result::error;
  in.failures[0].message = "Sandbox.Timedout";
  in.failures[1].details = std::string(details_cap, 'x') + "\u00e9tail";
  const std::string page = render_html(in);
  EXPECT_NE(page.find("<h2>Failures (201)</h2>"), std::string::npos);
  EXPECT_NE(page.find("Showing the first 200 of 201 failures."), std::string::npos);
  EXPECT_EQ(count(page, "<li class="), 200u);
  EXPECT_EQ(count(page, "<details open=\"\">"), 10u);
  EXPECT_NE(page.find("<span class=\"badge error\">error</span><span class=\"name\">case 0</span><span class=\"message\">Sandbox.Timedout</span>"),
            std::string::npos);
  EXPECT_NE(page.find("<span class=\"badge failed\">mismatch</span><span class=\"name\">case 1</span>"), std::string::npos);
  EXPECT_NE(page.find("Details cut: 65536 of 65542 bytes shown."), std::string::npos);
  EXPECT_EQ(page.find("\u00e9tail"), std::string::npos);
  EXPECT_EQ(xml_errors(page), "");
}

// The synthetic page; written to $LEMU_REPORT_SAMPLE_HTML when set (to look at it in a browser).
TEST(html, sample_page) {
  stats::run_summary summary(128);
  const html_input in = synthetic_run(summary);
  const std::string page = render_html(in);
  EXPECT_EQ(rects(between(page, "<g class=\"init\"", "</g>")).size(), 3u);
  EXPECT_EQ(rects(between(page, "<g class=\"failed\"", "</g>")).size(), 2u);
  EXPECT_EQ(rects(between(page, "<g class=\"invoke\"", "</g>")).size(), 298u);
  EXPECT_NE(page.find("300 invocations on 3 environments \u00b7 3 cold starts \u00b7 peak concurrency 3"), std::string::npos);
  if (const char* path = std::getenv("LEMU_REPORT_SAMPLE_HTML")) {
    std::ofstream(path, std::ios::binary) << page;
  }
}

} // namespace
} // namespace lemu::report
