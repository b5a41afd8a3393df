// The node helpers of resolver.hpp, and the Parameters section with --parameter-overrides applied.
#include <lemu/template/resolver.hpp>

#include <lemu/util/text.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace lemu::templates::detail {

std::string place(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
}

void fail(const std::string& file, const YAML::Mark& mark, const std::string& path, const std::string& what) {
  throw template_error(place(file, mark) + ": " + (path.empty() ? "" : path + ": ") + what);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Scalar: return '\'' + node.Scalar() + '\'';
  case YAML::NodeType::Sequence: return "a list";
  case YAML::NodeType::Map: return "a map";
  default: return "nothing";
  }
}

std::optional<bool> yaml_bool(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() != "?") return std::nullopt; // quoted, or a value of lemu's: a string
  static constexpr std::array<std::string_view, 8> yes = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On"};
  static constexpr std::array<std::string_view, 8> no = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off"};
  const std::string& s = node.Scalar();
  if (std::find(yes.begin(), yes.end(), s) != yes.end() || s == "ON") return true;
  if (std::find(no.begin(), no.end(), s) != no.end() || s == "OFF") return false;
  return std::nullopt;
}

std::string scalar_text(const YAML::Node& node) {
  if (auto b = yaml_bool(node)) return *b ? "true" : "false";
  return node.Scalar();
}

YAML::Node child(const YAML::Node& map, const std::string& key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node found = map[key];
  return found ? found : YAML::Node(YAML::NodeType::Undefined);
}

std::optional<intrinsic> as_intrinsic(const YAML::Node& node, bool condition_key, bool tags) {
  static constexpr std::array<std::string_view, 18> short_names = {
      "Ref",    "Sub",  "GetAtt",   "If",     "Join",      "Select",      "FindInMap", "Equals", "Not",
      "And",    "Or",   "Split",    "Base64", "Condition", "GetAZs",      "ImportValue", "Cidr", "Transform"};
  const std::string& tag = node.Tag();
  if (tags && tag.size() > 1 && tag[0] == '!') {
    const std::string_view name = std::string_view(tag).substr(1);
    if (std::find(short_names.begin(), short_names.end(), name) == short_names.end()) return std::nullopt;
    return intrinsic{name == "Ref" || name == "Condition" ? std::string(name) : "Fn::" + std::string(name), node};
  }
  if (!node.IsMap() || node.size() != 1) return std::nullopt;
  const auto entry = node.begin();
  const std::string key = entry->first.Scalar();
  if (key == "Ref" || key.starts_with("Fn::") || (condition_key && key == "Condition")) return intrinsic{key, entry->second};
  return std::nullopt;
}

namespace {

bool is_number(std::string_view s) {
  s = util::trim(s);
  if (s.empty()) return false;
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

} // namespace

std::map<std::string, YAML::Node> read_parameters(const std::string& file, const YAML::Node& root,
                                                  const load_options& options, std::vector<std::string>& warnings) {
  std::map<std::string, YAML::Node> values;
  const YAML::Node section = root["Parameters"];
  if (section && !section.IsNull() && !section.IsMap()) fail(file, section.Mark(), "Parameters", "expected a map");
  std::map<std::string, std::string> overrides;
  for (const auto& [name, value] : options.parameter_overrides) {
    if (!section || !section.IsMap() || !section[name])
      throw template_error(file + ": --parameter-overrides " + name + ": the template declares no such parameter");
    overrides[name] = value;
  }
  if (!section || !section.IsMap()) return values;
  for (const auto& entry : section) {
    const std::string name = entry.first.Scalar();
    const YAML::Node& declaration = entry.second;
    const std::string path = "Parameters." + name;
    if (!declaration.IsMap()) fail(file, declaration.Mark(), path, "expected a map");
    const std::string type = declaration["Type"] && declaration["Type"].IsScalar() ? declaration["Type"].Scalar() : "String";
    std::string value;
    YAML::Mark mark = entry.first.Mark();
    if (const auto o = overrides.find(name); o != overrides.end()) {
      value = o->second;
    } else if (const YAML::Node d = declaration["Default"]; d && !d.IsNull()) {
      mark = d.Mark();
      if (d.IsScalar()) {
        value = d.Scalar();
      } else if (d.IsSequence()) {
        for (const auto& item : d) value += (value.empty() ? "" : ",") + item.as<std::string>("");
      } else {
        fail(file, d.Mark(), path + ".Default", "expected a string, got " + describe(d));
      }
    } else {
      fail(file, entry.first.Mark(), path, "no Default and no --parameter-overrides value");
    }
    const bool list = type == "CommaDelimitedList" || type.starts_with("List<");
    std::vector<std::string> items;
    if (list) {
      if (!value.empty()) {
        for (const auto item : util::split(value, ',')) items.emplace_back(util::trim(item));
      }
    } else {
      items.push_back(value);
    }
    if (type == "Number" || type == "List<Number>") {
      for (const auto& i : items)
        if (!is_number(i)) fail(file, mark, path, "'" + i + "' is not a " + type);
    }
    if (type.starts_with("AWS::SSM::Parameter::Value<"))
      warnings.push_back(path + ": " + type + " is not resolved locally: the value is the SSM parameter's name '" +
                         value + "'");
    if (const YAML::Node allowed = declaration["AllowedValues"]; allowed && allowed.IsSequence()) {
      std::vector<std::string> choices;
      for (const auto& a : allowed) choices.push_back(a.IsScalar() ? a.Scalar() : "");
      for (const auto& i : items)
        if (std::find(choices.begin(), choices.end(), i) == choices.end())
          fail(file, mark, path, "'" + i + "' is not one of the AllowedValues (" + joined(choices) + ")");
    }
    if (list) {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (const auto& i : items) seq.push_back(i);
      values.emplace(name, seq);
    } else {
      values.emplace(name, YAML::Node(value));
    }
  }
  return values;
}

} // namespace lemu::templates::detail
