// The HTML report's charts (html.hpp): latency histograms and the timeline, as inline SVG.
#include <lemu/report/html_charts.hpp>

#include <lemu/report/text.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/util/text.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>

namespace lemu::report {

namespace detail {
std::string ms(double v) { return util::fixed2(v) + "ms"; }
} // namespace detail

namespace {

using detail::color_failed;
using detail::color_init;
using detail::color_invoke;
using detail::ms;

constexpr std::string_view svg_ns = "http://www.w3.org/2000/svg";

// A coordinate: 2 digits after the point at most, trailing zeros trimmed.
std::string num(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = std::to_string(std::round(v * 100) / 100); // "%f": 6 digits
  const auto dot = s.find('.');
  if (dot != std::string::npos) {
    s.resize(std::min(s.size(), dot + 3));
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// The smallest 1, 2 or 5 x 10^k that is >= x (x > 0).
double nice_ceil(double x) {
  if (!(x > 0) || !std::isfinite(x)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= x * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

// Rounds an edge computed as start + i * step to drop float noise (0.30000000000000004 -> 0.3).
double tidy(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 12 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * scale) / scale;
}

void open_svg(std::string& out, std::string_view cls, std::string_view id, double w, double h, std::string_view label) {
  out += "<svg xmlns=\"";
  out += svg_ns;
  out += "\" class=\"";
  out += cls;
  out += "\" id=\"";
  out += id;
  out += "\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\" width=\"" + num(w) + "\" height=\"" + num(h) +
         "\" role=\"img\" aria-label=\"";
  out += html_escape(label);
  out += "\">\n";
}

void line(std::string& out, double x1, double y1, double x2, double y2) {
  out += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\"/>";
}

void text(std::string& out, double x, double y, std::string_view anchor, std::string_view content,
          std::string_view extra = {}) {
  out += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"";
  if (!anchor.empty()) {
    out += " text-anchor=\"";
    out += anchor;
    out += '"';
  }
  if (!extra.empty()) {
    out += ' ';
    out += extra;
  }
  out += '>';
  out += html_escape(content);
  out += "</text>";
}

void rect(std::string& out, double x, double y, double w, double h, std::string_view title) {
  out += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\">";
  out += "<title>";
  out += html_escape(title);
  out += "</title></rect>";
}

// ---- histograms ----------------------------------------------------------------------------------------

void histogram_figure(std::string& out, std::string_view id, std::string_view label, std::string_view axis_what,
                      std::string_view color, const std::vector<double>& values, const stats::phase_numbers& phase) {
  using namespace chart;
  const histogram h = make_histogram(values);
  out += "<figure>\n<figcaption><strong>";
  out += html_escape(label);
  out += "</strong> <span>";
  if (phase.count == 0) {
    out += "no samples";
  } else {
    out += "n=" + std::to_string(phase.count) + " \u00b7 p50 " + ms(phase.p50) + " \u00b7 p99 " + ms(phase.p99) +
           " \u00b7 max " + ms(phase.max);
  }
  out += "</span></figcaption>\n";
  open_svg(out, "chart histogram", id, hist_width, hist_height, std::string(label) + " latency histogram");

  const double plot_w = hist_width - hist_left - hist_right;
  const double plot_h = hist_height - hist_top - hist_bottom;
  const double base = hist_top + plot_h;
  const std::size_t n = h.counts.size();
  const std::size_t max_count = n == 0 ? 0 : *std::max_element(h.counts.begin(), h.counts.end());

  // Grid lines and count labels.
  out += "<g class=\"grid\">";
  if (max_count > 0) {
    const double step = std::max(1.0, nice_ceil(static_cast<double>(max_count) / 5));
    for (double v = 0; v <= static_cast<double>(max_count) + 1e-9; v += step) {
      const double y = base - v / static_cast<double>(max_count) * plot_h;
      line(out, hist_left, y, hist_left + plot_w, y);
      text(out, hist_left - 4, y + 3.5, "end", std::to_string(static_cast<long long>(v)));
    }
  }
  out += "</g>\n";

  if (n == 0) {
    text(out, hist_left + plot_w / 2, hist_top + plot_h / 2, "middle",
         values.empty() && phase.count > 0 ? "no per-invocation records" : "no samples");
  } else {
    out += "<g class=\"bars\" fill=\"";
    out += color;
    out += "\">\n";
    const double bw = plot_w / static_cast<double>(n);
    const double gap = bw >= 4 ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double bh = static_cast<double>(h.counts[i]) / static_cast<double>(max_count) * plot_h;
      const std::string title = short_number(h.edges[i]) + "\u2013" + short_number(h.edges[i + 1]) + " ms: " +
                                std::to_string(h.counts[i]) + (h.counts[i] == 1 ? " invocation" : " invocations");
      rect(out, hist_left + static_cast<double>(i) * bw, base - bh, bw - gap, bh, title);
      out += '\n';
    }
    out += "</g>\n";
  }

  // Axes, edge labels (at most ~7) and titles.
  out += "<g class=\"axis\">";
  line(out, hist_left, base, hist_left + plot_w, base);
  line(out, hist_left, hist_top, hist_left, base);
  if (n > 0) {
    const std::size_t every = (h.edges.size() + 6) / 7;
    const double bw = plot_w / static_cast<double>(n);
    for (std::size_t i = 0; i < h.edges.size(); i += every) {
      const double x = hist_left + static_cast<double>(i) * bw;
      line(out, x, base, x, base + 4);
      text(out, x, base + 15, "middle", short_number(h.edges[i]));
    }
  }
  out += "</g>\n";
  std::string axis_title(axis_what);
  axis_title += h.log_scale ? " (ms, log scale)" : " (ms)";
  text(out, hist_left + plot_w / 2, hist_height - 10, "middle", axis_title);
  text(out, 12, hist_top + plot_h / 2, "middle", "invocations",
       "transform=\"rotate(-90 12 " + num(hist_top + plot_h / 2) + ")\"");
  out += "\n</svg>\n</figure>\n";
}

} // namespace

void detail::latency_section(std::string& out, const stats::summary_numbers& s,
                             const std::vector<const stats::invocation_record*>& recs) {
  std::vector<double> init, cold, warm;
  for (const auto* r : recs) {
    if (r->init_ms) init.push_back(*r->init_ms);
    (r->cold ? cold : warm).push_back(r->duration_ms);
  }
  out += "<section id=\"latency\">\n<h2>Latency</h2>\n<div class=\"charts\">\n";
  histogram_figure(out, "hist-init", "init (cold)", "Init Duration", color_init, init, s.init);
  histogram_figure(out, "hist-cold", "invoke cold", "Duration", color_invoke, cold, s.invoke_cold);
  histogram_figure(out, "hist-warm", "invoke warm", "Duration", color_invoke, warm, s.invoke_warm);
  out += "</div>\n</section>\n";
}

namespace {

// ---- timeline ------------------------------------------------------------------------------------------

std::string describe(const stats::invocation_record& r) {
  std::string s = "#" + std::to_string(r.index) + " ";
  s += r.source;
  if (r.line > 0) s += ":" + std::to_string(r.line);
  s += " \u00b7 env " + std::to_string(r.environment_id) + " \u00b7 at " + util::fixed2(r.start_ms) + " ms \u00b7 " +
       util::fixed2(r.duration_ms) + " ms";
  if (r.cold) s += " \u00b7 cold";
  if (r.status != stats::status::success) {
    s += " \u00b7 ";
    s += stats::to_string(r.status);
    if (!r.error_type.empty()) s += " " + r.error_type;
  }
  return s;
}

std::size_t peak_concurrency(const std::vector<const stats::invocation_record*>& recs) {
  std::vector<std::pair<double, int>> edges;
  edges.reserve(recs.size() * 2);
  for (const auto* r : recs) {
    const double begin = r->start_ms - (r->cold && r->init_ms ? *r->init_ms : 0);
    edges.emplace_back(begin, +1);
    edges.emplace_back(r->start_ms + std::max(0.0, r->duration_ms), -1);
  }
  std::sort(edges.begin(), edges.end()); // at equal times ends (-1) come first: touching is not overlapping
  long current = 0, peak = 0;
  for (const auto& e : edges) {
    current += e.second;
    peak = std::max(peak, current);
  }
  return recs.empty() ? 0 : static_cast<std::size_t>(std::max(peak, 1L));
}

void environments_table(std::string& out, const std::vector<const stats::invocation_record*>& all) {
  stats::environment_summary envs;
  for (const auto* r : all) envs.add(*r);
  if (envs.environments() <= 1) return;
  constexpr std::size_t max_rows = 32;
  out += "<div class=\"scroll\"><table class=\"environments\">\n<thead><tr><th>env</th><th>invocations</th><th>failed</th>"
         "<th>init</th><th>warm mean</th><th>warm max</th><th>max memory</th></tr></thead>\n<tbody>\n";
  std::size_t shown = 0;
  for (const auto& [id, t] : envs.by_environment()) {
    if (shown++ == max_rows) break;
    out += "<tr><td>" + std::to_string(id) + "</td><td>" + std::to_string(t.invocations) + "</td><td>" +
           std::to_string(t.failed) + "</td><td>" + (t.init_ms ? ms(*t.init_ms) : "-") + "</td><td>" +
           (t.warm > 0 ? ms(t.warm_total_ms / static_cast<double>(t.warm)) : "-") + "</td><td>" +
           (t.warm > 0 ? ms(t.warm_max_ms) : "-") + "</td><td>" + std::to_string(t.max_memory_used_mb) +
           " MB</td></tr>\n";
  }
  out += "</tbody>\n</table></div>\n";
  if (envs.environments() > max_rows) {
    out += "<p class=\"note\">" + std::to_string(envs.environments() - max_rows) +
           " more environments are not listed.</p>\n";
  }
}

} // namespace

void detail::timeline_section(std::string& out, const std::vector<const stats::invocation_record*>& all) {
  using namespace chart;
  const std::size_t shown = std::min(all.size(), timeline_cap);
  const std::vector<const stats::invocation_record*> recs(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(shown));

  std::set<std::uint32_t> env_set;
  double t0 = 0, t1 = 0;
  std::size_t cold_starts = 0, failed = 0;
  for (const auto* r : recs) {
    env_set.insert(r->environment_id);
    if (r->cold) ++cold_starts;
    if (r->status != stats::status::success) ++failed;
    if (r->cold && r->init_ms) t0 = std::min(t0, r->start_ms - *r->init_ms);
    t0 = std::min(t0, r->start_ms);
    t1 = std::max(t1, r->start_ms + std::max(0.0, r->duration_ms));
  }
  if (!(t1 > t0)) t1 = t0 + 1;
  const std::vector<std::uint32_t> envs(env_set.begin(), env_set.end());

  out += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
  out += "<p class=\"caption\">" + std::to_string(recs.size()) + (recs.size() == 1 ? " invocation" : " invocations") +
         " on " + std::to_string(envs.size()) + (envs.size() == 1 ? " environment" : " environments") + " \u00b7 " +
         std::to_string(cold_starts) + " cold " + (cold_starts == 1 ? "start" : "starts") + " \u00b7 peak concurrency " +
         std::to_string(peak_concurrency(recs)) + " \u00b7 " + std::to_string(failed) + " failed \u00b7 over " +
         ms(recs.empty() ? 0 : t1 - t0) + "</p>\n";
  if (all.size() > shown) {
    out += "<p class=\"note\">Showing the first " + std::to_string(shown) + " of " + std::to_string(all.size()) +
           " invocations.</p>\n";
  }
  out += "<p class=\"legend\"><span><i style=\"background:";
  out += color_init;
  out += "\"></i>init (cold start)</span><span><i style=\"background:";
  out += color_invoke;
  out += "\"></i>invocation</span><span><i style=\"background:";
  out += color_failed;
  out += "\"></i>failed invocation</span></p>\n";

  const double row_h = timeline_row_height(envs.size());
  const double plot_w = timeline_width - timeline_left - timeline_right;
  const double plot_h = row_h * static_cast<double>(std::max<std::size_t>(envs.size(), 1));
  const double height = timeline_top + plot_h + timeline_bottom;
  const double base = timeline_top + plot_h;
  const auto x_of = [&](double t) { return timeline_left + (t - t0) / (t1 - t0) * plot_w; };
  const auto row_of = [&](std::uint32_t env) {
    return static_cast<double>(std::lower_bound(envs.begin(), envs.end(), env) - envs.begin());
  };

  out += "<div class=\"scroll\">";
  open_svg(out, "chart timeline", "timeline-chart", timeline_width, height, "invocations per execution environment over time");

  // Row stripes and labels.
  out += "<g class=\"rows\" fill=\"#f3f4f6\">";
  for (std::size_t r = 1; r < envs.size(); r += 2) {
    out += "<rect x=\"" + num(timeline_left) + "\" y=\"" + num(timeline_top + static_cast<double>(r) * row_h) +
           "\" width=\"" + num(plot_w) + "\" height=\"" + num(row_h) + "\"/>";
  }
  out += "</g>\n<g class=\"labels\">";
  const std::size_t label_every = row_h >= 12 ? 1 : static_cast<std::size_t>(std::ceil(12 / row_h));
  for (std::size_t r = 0; r < envs.size(); r += label_every) {
    text(out, timeline_left - 6, timeline_top + (static_cast<double>(r) + 0.5) * row_h + 3.5, "end",
         "env " + std::to_string(envs[r]));
  }
  out += "</g>\n";

  // Time grid and axis.
  out += "<g class=\"grid\">";
  const double step = nice_ceil((t1 - t0) / 10);
  const double first_tick = std::ceil(t0 / step) * step;
  std::vector<double> ticks;
  for (double t = first_tick; t <= t1 + step * 1e-9 && ticks.size() < 40; t = first_tick + step * static_cast<double>(ticks.size())) {
    ticks.push_back(tidy(t));
  }
  for (const double t : ticks) line(out, x_of(t), timeline_top, x_of(t), base);
  out += "</g>\n";

  if (recs.empty()) {
    text(out, timeline_left + plot_w / 2, timeline_top + plot_h / 2 + 3.5, "middle", "no invocations");
  }
  const double inset = row_h / 6;
  const auto bar = [&](std::string& group, double from, double to, double row, const std::string& title) {
    const double x = x_of(from);
    const double w = std::max(timeline_min_bar, x_of(to) - x);
    rect(group, x, timeline_top + row * row_h + inset, w, row_h - 2 * inset, title);
    group += '\n';
  };
  std::string init_group, invoke_group, failed_group;
  for (const auto* r : recs) {
    const double row = row_of(r->environment_id);
    if (r->cold && r->init_ms) {
      bar(init_group, r->start_ms - *r->init_ms, r->start_ms, row,
          "#" + std::to_string(r->index) + " init " + util::fixed2(*r->init_ms) + " ms \u00b7 env " +
              std::to_string(r->environment_id));
    }
    bar(r->status == stats::status::success ? invoke_group : failed_group, r->start_ms,
        r->start_ms + std::max(0.0, r->duration_ms), row, describe(*r));
  }
  out += "<g class=\"init\" fill=\"";
  out += color_init;
  out += "\">\n" + init_group + "</g>\n<g class=\"invoke\" fill=\"";
  out += color_invoke;
  out += "\">\n" + invoke_group + "</g>\n<g class=\"failed\" fill=\"";
  out += color_failed;
  out += "\">\n" + failed_group + "</g>\n";

  out += "<g class=\"axis\">";
  line(out, timeline_left, base, timeline_left + plot_w, base);
  for (const double t : ticks) {
    line(out, x_of(t), base, x_of(t), base + 4);
    text(out, x_of(t), base + 15, "middle", short_number(t));
  }
  out += "</g>\n";
  text(out, timeline_left + plot_w / 2, height - 8, "middle", "ms since the run started");
  out += "\n</svg></div>\n";
  environments_table(out, all);
  out += "</section>\n";
}


double chart::timeline_row_height(std::size_t environments) {
  if (environments <= 30) return 18;
  return std::max(4.0, 540.0 / static_cast<double>(environments));
}

histogram make_histogram(const std::vector<double>& values_ms) {
  histogram h;
  std::vector<double> v;
  v.reserve(values_ms.size());
  for (const double x : values_ms) {
    if (std::isfinite(x)) v.push_back(std::max(0.0, x));
  }
  if (v.empty()) return h;
  const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
  const double lo = *lo_it, hi = *hi_it;
  if (hi == 0) {
    h.edges = {0, 1};
    h.counts = {v.size()};
    return h;
  }
  double lo_pos = hi;
  for (const double x : v) {
    if (x > 0) lo_pos = std::min(lo_pos, x);
  }

  if (hi / lo_pos <= 20) {
    // About 2 * sqrt(n) buckets, 5 to 20: a handful of samples does not scatter over 20 empty buckets.
    const double target = std::clamp(2 * std::ceil(std::sqrt(static_cast<double>(v.size()))), 5.0, 20.0);
    double raw = (hi - lo) / target;
    if (!(raw > 0)) raw = hi / target;
    const double step = nice_ceil(raw);
    const double start = std::floor(lo / step) * step;
    const auto buckets = static_cast<std::size_t>(std::floor((hi - start) / step)) + 1;
    for (std::size_t i = 0; i <= buckets; ++i) h.edges.push_back(tidy(start + step * static_cast<double>(i)));
    h.counts.assign(buckets, 0);
    for (const double x : v) {
      const double k = std::floor((x - start) / step);
      const auto i = static_cast<std::size_t>(std::clamp(k, 0.0, static_cast<double>(buckets - 1)));
      ++h.counts[i];
    }
    return h;
  }

  h.log_scale = true;
  static constexpr std::array<double, 6> mantissas{1, 1.5, 2, 3, 5, 7};
  int decade = static_cast<int>(std::floor(std::log10(lo_pos)));
  std::size_t m = 0;
  // The largest edge <= lo_pos (log10 may round a power of ten down by one: step forward while possible).
  const auto edge = [&](int d, std::size_t k) { return tidy(mantissas[k] * std::pow(10.0, d)); };
  while (true) {
    std::size_t next_m = m + 1;
    int next_d = decade;
    if (next_m == mantissas.size()) {
      next_m = 0;
      ++next_d;
    }
    if (edge(next_d, next_m) > lo_pos) break;
    m = next_m;
    decade = next_d;
  }
  while (true) {
    const double e = edge(decade, m);
    h.edges.push_back(e);
    if (e > hi) break;
    if (++m == mantissas.size()) {
      m = 0;
      ++decade;
    }
  }
  h.counts.assign(h.edges.size() - 1, 0);
  for (const double x : v) {
    const auto it = std::upper_bound(h.edges.begin(), h.edges.end(), x);
    std::size_t i = it == h.edges.begin() ? 0 : static_cast<std::size_t>(it - h.edges.begin()) - 1;
    i = std::min(i, h.counts.size() - 1);
    ++h.counts[i];
  }
  return h;
}

} // namespace lemu::report
