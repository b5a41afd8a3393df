#include <lemu/events/generator_shape.hpp>

#include <algorithm>

namespace lemu::events {

namespace {

using json = nlohmann::ordered_json;

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

struct comparer {
  const shape_options& options;
  std::vector<shape_difference> out;

  bool is_map_path(const std::string& path) const {
    return std::find(options.map_paths.begin(), options.map_paths.end(), path) != options.map_paths.end();
  }

  void compare(const json& ref, const json& cand, const std::string& path) {
    const std::string_view ref_type = shape_type_name(ref);
    const std::string_view cand_type = shape_type_name(cand);
    if (ref_type != cand_type) {
      out.push_back({shape_difference::kind::type, path, std::string(ref_type), std::string(cand_type)});
      return;
    }
    if (ref.is_object()) {
      if (is_map_path(path)) return;
      for (const auto& [key, value] : ref.items()) {
        const auto it = cand.find(key);
        if (it == cand.end()) {
          out.push_back({shape_difference::kind::missing, child(path, key), {}, {}});
        } else {
          compare(value, *it, child(path, key));
        }
      }
      for (const auto& [key, value] : cand.items())
        if (!ref.contains(key)) out.push_back({shape_difference::kind::extra, child(path, key), {}, {}});
    } else if (ref.is_array()) {
      if (ref.empty()) return;
      const std::size_t before = out.size();
      for (const json& element : cand) compare(ref.front(), element, path + "[]");
      // One report per difference, however many elements share it.
      std::vector<shape_difference> unique;
      for (std::size_t i = before; i < out.size(); ++i)
        if (std::find(unique.begin(), unique.end(), out[i]) == unique.end()) unique.push_back(out[i]);
      out.resize(before);
      out.insert(out.end(), unique.begin(), unique.end());
    }
  }
};

} // namespace

std::string shape_difference::to_string() const {
  switch (what) {
  case kind::missing: return "missing " + path;
  case kind::extra: return "extra " + path;
  case kind::type: break;
  }
  return "type " + path + ": " + reference_type + " -> " + candidate_type;
}

std::string_view shape_type_name(const json& value) {
  switch (value.type()) {
  case json::value_t::null: return "null";
  case json::value_t::boolean: return "boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float: return "number";
  case json::value_t::string: return "string";
  case json::value_t::array: return "array";
  case json::value_t::object: return "object";
  default: return "other";
  }
}

std::vector<shape_difference> compare_shapes(const json& reference, const json& candidate,
                                             const shape_options& options) {
  comparer c{options, {}};
  c.compare(reference, candidate, "");
  return c.out;
}

} // namespace lemu::events
