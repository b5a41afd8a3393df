// property_reader, SAM's Globals merge, and a function's Events.
#include <lemu/template/properties.hpp>

#include <lemu/util/text.hpp>

#include <charconv>
#include <cmath>

namespace lemu::templates::detail {
namespace {

std::string below(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

YAML::Mark mark_or(const YAML::Node& node, const YAML::Mark& fallback) {
  return node.IsDefined() && !node.Mark().is_null() ? node.Mark() : fallback;
}

} // namespace

void property_reader::fail(const at& a, const std::string& what) const {
  detail::fail(m_r.file(), a.mark, below(m_base, a.path), what);
}

void property_reader::warn(const std::string& path, const std::string& what) const {
  m_r.warn(m_owner + ": " + (path.empty() ? "" : path + ": ") + what);
}

std::optional<YAML::Node> property_reader::value(const at& a) {
  if (!a.raw.IsDefined()) return std::nullopt;
  auto v = m_r.resolve(a.raw, m_owner, a.path);
  if (v && v->IsNull()) return std::nullopt; // `Timeout:` with nothing: as if absent
  return v;
}

bool property_reader::present(const at& a) {
  const std::size_t warnings = m_r.warning_count();
  const bool has = value(a).has_value();
  m_r.drop_warnings(warnings);
  return has;
}

std::optional<YAML::Node> property_reader::container(const at& a, YAML::NodeType::value type, const char* expected) {
  if (!a.raw.IsDefined()) return std::nullopt;
  // A map or list as written keeps its entries unresolved (each is resolved when read); one an intrinsic
  // function gives is resolved already.
  const bool call = as_intrinsic(a.raw).has_value();
  std::optional<YAML::Node> v = call ? m_r.resolve(a.raw, m_owner, a.path) : std::optional<YAML::Node>(a.raw);
  if (!v || v->IsNull()) return std::nullopt;
  if (v->Type() != type) fail(a, std::string("expected ") + expected + ", got " + describe(*v));
  return v;
}

entries_t property_reader::entries(const at& a) {
  entries_t out;
  const auto map = container(a, YAML::NodeType::Map, "a map");
  if (!map) return out;
  for (const auto& e : *map) {
    const std::string key = e.first.Scalar();
    out.emplace_back(key, at{e.second, mark_or(e.second, a.mark), below(a.path, key)});
  }
  return out;
}

std::vector<at> property_reader::items(const at& a) {
  std::vector<at> out;
  const auto list = container(a, YAML::NodeType::Sequence, "a list");
  if (!list) return out;
  std::size_t i = 0;
  for (const auto& item : *list) out.push_back(at{item, mark_or(item, a.mark), a.path + "[" + std::to_string(i++) + "]"});
  return out;
}

std::optional<std::string> property_reader::string(const at& a) {
  const auto v = value(a);
  if (!v) return std::nullopt;
  if (!v->IsScalar()) fail(a, "expected a string, got " + describe(*v));
  return scalar_text(*v);
}

std::optional<double> property_reader::number(const at& a) {
  const auto v = value(a);
  if (!v) return std::nullopt;
  if (v->IsScalar()) {
    const std::string_view s = util::trim(v->Scalar());
    double d = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(d)) return d;
  }
  fail(a, "expected a number, got " + describe(*v));
}

std::optional<std::uint32_t> property_reader::count(const at& a) {
  const auto v = value(a);
  if (!v) return std::nullopt;
  if (v->IsScalar()) {
    const std::string_view s = util::trim(v->Scalar());
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return n;
  }
  fail(a, "expected a whole number, got " + describe(*v));
}

std::optional<bool> property_reader::boolean(const at& a) {
  const auto v = value(a);
  if (!v) return std::nullopt;
  if (const auto b = yaml_bool(*v)) return b;
  if (v->IsScalar() && (v->Scalar() == "true" || v->Scalar() == "false")) return v->Scalar() == "true";
  fail(a, "expected true or false, got " + describe(*v));
}

at find(const entries_t& entries, const std::string& key, const at& parent) {
  for (const auto& [k, v] : entries)
    if (k == key) return v;
  return at{YAML::Node(YAML::NodeType::Undefined), parent.mark, below(parent.path, key)};
}

YAML::Node merge_globals(const YAML::Node& globals, const YAML::Node& local) {
  if (!globals.IsDefined() || globals.IsNull()) return local;
  if (!local.IsDefined()) return globals;
  const bool plain = !as_intrinsic(globals) && !as_intrinsic(local);
  if (plain && globals.IsMap() && local.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& g : globals) {
      const std::string key = g.first.Scalar();
      out.force_insert(g.first, merge_globals(g.second, child(local, key)));
    }
    for (const auto& l : local)
      if (!child(globals, l.first.Scalar())) out.force_insert(l.first, l.second);
    return out;
  }
  if (plain && globals.IsSequence() && local.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& g : globals) out.push_back(g);
    for (const auto& l : local) out.push_back(l);
    return out;
  }
  return local;
}

std::vector<function_event> read_events(property_reader& p, const at& events) {
  std::vector<function_event> out;
  for (const auto& [name, event] : p.entries(events)) {
    function_event e;
    e.name = name;
    const entries_t fields = p.entries(event);
    const at type = find(fields, "Type", event);
    e.type = p.string(type).value_or("");
    if (e.type.empty()) p.fail(type, "expected the event's Type (Api, HttpApi, SQS, ...)");
    const at properties = find(fields, "Properties", event);
    const entries_t props = p.entries(properties);
    const auto get = [&](const char* key) { return find(props, key, properties); };
    if (e.type == "Api" || e.type == "HttpApi") {
      e.path = p.string(get("Path")).value_or("");
      e.method = util::to_upper(p.string(get("Method")).value_or("ANY"));
      if (e.type == "Api") {
        e.payload_format_version = "1.0";
      } else if (const auto version = p.string(get("PayloadFormatVersion"))) {
        e.payload_format_version = *version;
      } else {
        e.payload_format_version = "2.0";
        if (const auto api = p.string(get("ApiId")); api && p.r().resource_type(*api) == "AWS::Serverless::HttpApi") {
          const YAML::Node api_properties = child(p.r().resource(*api), "Properties");
          if (const YAML::Node v = child(api_properties, "PayloadFormatVersion"); v.IsDefined() && v.IsScalar())
            e.payload_format_version = v.Scalar();
        }
      }
    } else if (e.type == "SQS") {
      e.queue = p.string(get("Queue")).value_or("");
      e.batch_size = p.count(get("BatchSize")).value_or(10);
      e.maximum_batching_window_seconds = p.count(get("MaximumBatchingWindowInSeconds")).value_or(0);
      for (const auto& t : p.items(get("FunctionResponseTypes")))
        e.report_batch_item_failures = e.report_batch_item_failures || p.string(t) == "ReportBatchItemFailures";
      const at scaling = get("ScalingConfig");
      e.maximum_concurrency = p.count(find(p.entries(scaling), "MaximumConcurrency", scaling)).value_or(0);
      e.enabled = p.boolean(get("Enabled")).value_or(true);
    }
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace lemu::templates::detail
