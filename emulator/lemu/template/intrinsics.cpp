// The intrinsic functions, resolved to the values a local run uses (resolver.hpp).
#include <lemu/template/resolver.hpp>

#include <lemu/util/base64.hpp>
#include <lemu/util/text.hpp>

#include <charconv>
#include <string_view>

namespace lemu::templates::detail {
namespace {

constexpr std::string_view stack_uuid = "51af3dc0-da77-11e4-872e-1234567db123";

std::string short_name(const std::string& long_name) {
  return long_name.starts_with("Fn::") ? "!" + long_name.substr(4) : "!" + long_name;
}

std::string joined_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// The place of an error: "Resources.Orders.Properties.Timeout", "Conditions.IsProd".
std::string where(const std::string& owner, const std::string& path) {
  if (owner == "Conditions") return joined_path(owner, path);
  return "Resources." + owner + ".Properties" + (path.empty() ? "" : "." + path);
}

bool is_function(const std::string& type) { return type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function"; }

YAML::Node scalar(const std::string& s) { return YAML::Node(s); }

} // namespace

resolver::resolver(std::string file, YAML::Node root, std::map<std::string, YAML::Node> parameters,
                   const load_options& options, std::vector<std::string>& warnings)
    : m_file(std::move(file)), m_root(std::move(root)), m_resources(child(m_root, "Resources")),
      m_conditions(child(m_root, "Conditions")), m_parameters(std::move(parameters)), m_options(options),
      m_warnings(warnings) {
  if (m_conditions && !m_conditions.IsNull() && !m_conditions.IsMap())
    fail(m_file, m_conditions.Mark(), "Conditions", "expected a map");
}

std::string resolver::resource_type(const std::string& logical_id) const {
  const YAML::Node type = child(resource(logical_id), "Type");
  return type.IsDefined() && type.IsScalar() ? type.Scalar() : "";
}

YAML::Node resolver::resource(const std::string& logical_id) const {
  return child(m_resources, logical_id);
}

std::optional<YAML::Node> resolver::resolve(const YAML::Node& node, const std::string& owner, const std::string& path) {
  if (!node.IsDefined()) return node;
  if (const auto fn = as_intrinsic(node)) return call(*fn, node, owner, path);
  return structure(node, owner, path);
}

std::optional<YAML::Node> resolver::argument(const intrinsic& fn, const YAML::Node& node, const std::string& owner,
                                             const std::string& path) {
  if (!fn.argument.is(node)) return resolve(fn.argument, owner, path);
  if (const auto inner = as_intrinsic(node, false, false)) return call(*inner, node, owner, path);
  return structure(node, owner, path);
}

std::optional<YAML::Node> resolver::structure(const YAML::Node& node, const std::string& owner,
                                              const std::string& path) {
  if (node.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    bool changed = false;
    std::size_t index = 0;
    for (const auto& item : node) {
      const auto value = resolve(item, owner, path + "[" + std::to_string(index++) + "]");
      changed = changed || !value || !value->is(item);
      if (value) out.push_back(*value);
    }
    return changed ? out : node;
  }
  if (node.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    bool changed = false;
    for (const auto& entry : node) {
      const auto value = resolve(entry.second, owner, joined_path(path, entry.first.Scalar()));
      changed = changed || !value || !value->is(entry.second);
      if (value) out.force_insert(entry.first, *value);
    }
    return changed ? out : node;
  }
  return node;
}

YAML::Node resolver::unresolvable(const std::string& expression, const std::string& owner, const std::string& path) {
  m_warnings.push_back(owner + ": " + (path.empty() ? "" : path + ": ") + expression +
                       " cannot be resolved locally: \"\"");
  return scalar("");
}

std::string resolver::text(const std::optional<YAML::Node>& value, const std::string& what, const std::string& owner,
                           const std::string& path) {
  if (value && value->IsScalar()) return value->Scalar();
  if (!value || value->IsNull()) return "";
  unresolvable(what + " (" + describe(*value) + ")", owner, path);
  return "";
}

std::optional<YAML::Node> resolver::call(const intrinsic& fn, const YAML::Node& node, const std::string& owner,
                                         const std::string& path) {
  const std::string& name = fn.name;
  const YAML::Node& arg = fn.argument;
  // A short-form tag on a scalar or sequence: the node itself (its tag aside) is the argument.
  const auto list = [&](std::size_t min, std::size_t max) {
    if (!arg.IsSequence() || arg.size() < min || arg.size() > max)
      fail(m_file, node.Mark(), where(owner, path), short_name(name) + ": expected a list of " +
                                          (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)) +
                                          " items, got " + describe(arg));
    return arg;
  };
  if (name == "Ref") {
    if (!arg.IsScalar()) fail(m_file, node.Mark(), where(owner, path), "!Ref: expected a name, got " + describe(arg));
    return ref(arg.Scalar(), owner, path);
  }
  if (name == "Fn::GetAtt") {
    if (arg.IsScalar()) {
      const std::string& s = arg.Scalar();
      const auto dot = s.find('.');
      if (dot == std::string::npos) fail(m_file, node.Mark(), where(owner, path), "!GetAtt: expected Resource.Attribute, got '" + s + "'");
      return get_att(s.substr(0, dot), s.substr(dot + 1), owner, path);
    }
    const YAML::Node items = list(2, 2);
    const std::string attribute = text(resolve(items[1], owner, path), "!GetAtt attribute", owner, path);
    if (!items[0].IsScalar()) fail(m_file, node.Mark(), where(owner, path), "!GetAtt: expected a resource name, got " + describe(items[0]));
    return get_att(items[0].Scalar(), attribute, owner, path);
  }
  if (name == "Fn::Sub") return sub(arg, node.Mark(), owner, path);
  if (name == "Fn::If") {
    const YAML::Node items = list(3, 3);
    if (!items[0].IsScalar()) fail(m_file, node.Mark(), where(owner, path), "!If: expected a condition name, got " + describe(items[0]));
    return resolve(items[condition(items[0].Scalar(), node.Mark()) ? 1 : 2], owner, path);
  }
  if (name == "Fn::Join") {
    const YAML::Node items = list(2, 2);
    const std::string delimiter = text(resolve(items[0], owner, path), "!Join delimiter", owner, path);
    const auto values = resolve(items[1], owner, path);
    if (!values || !values->IsSequence()) return unresolvable("!Join of " + (values ? describe(*values) : "nothing"), owner, path);
    std::string out;
    bool first = true;
    for (const auto& v : *values) {
      out += (first ? "" : delimiter) + text(v, "!Join item", owner, path);
      first = false;
    }
    return scalar(out);
  }
  if (name == "Fn::Select") {
    const YAML::Node items = list(2, 2);
    const std::string index_text = text(resolve(items[0], owner, path), "!Select index", owner, path);
    const auto values = resolve(items[1], owner, path);
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
    if (ec != std::errc() || end != index_text.data() + index_text.size() || !values || !values->IsSequence() ||
        index >= values->size())
      return unresolvable("!Select " + index_text, owner, path);
    return (*values)[index];
  }
  if (name == "Fn::Split") {
    const YAML::Node items = list(2, 2);
    const std::string delimiter = text(resolve(items[0], owner, path), "!Split delimiter", owner, path);
    const std::string source = text(resolve(items[1], owner, path), "!Split string", owner, path);
    YAML::Node out(YAML::NodeType::Sequence);
    if (delimiter.empty()) return unresolvable("!Split with an empty delimiter", owner, path);
    std::string_view rest = source;
    while (true) {
      const auto at = rest.find(delimiter);
      out.push_back(std::string(rest.substr(0, at)));
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at + delimiter.size());
    }
    return out;
  }
  if (name == "Fn::Equals") {
    const YAML::Node items = list(2, 2);
    const std::string a = text(resolve(items[0], owner, path), "!Equals operand", owner, path);
    const std::string b = text(resolve(items[1], owner, path), "!Equals operand", owner, path);
    return scalar(a == b ? "true" : "false");
  }
  if (name == "Fn::Not") {
    const YAML::Node items = list(1, 1);
    return scalar(condition_operand(items[0], owner, path) ? "false" : "true");
  }
  if (name == "Fn::And" || name == "Fn::Or") {
    const YAML::Node items = list(2, 10);
    const bool is_and = name == "Fn::And";
    bool result = is_and;
    for (const auto& item : items) {
      const bool v = condition_operand(item, owner, path); // every operand evaluated: errors are not skipped
      result = is_and ? result && v : result || v;
    }
    return scalar(result ? "true" : "false");
  }
  if (name == "Condition") {
    if (!arg.IsScalar()) fail(m_file, node.Mark(), where(owner, path), "!Condition: expected a condition name, got " + describe(arg));
    return scalar(condition(arg.Scalar(), node.Mark()) ? "true" : "false");
  }
  if (name == "Fn::FindInMap") return find_in_map(arg, node.Mark(), owner, path);
  if (name == "Fn::Base64") return scalar(util::base64_encode(text(argument(fn, node, owner, path), "!Base64", owner, path)));
  if (name == "Fn::GetAZs") {
    std::string region = text(argument(fn, node, owner, path), "!GetAZs", owner, path);
    if (region.empty()) region = m_options.region;
    YAML::Node out(YAML::NodeType::Sequence);
    for (const char zone : {'a', 'b', 'c'}) out.push_back(region + zone);
    return out;
  }
  std::string expression = short_name(name);
  if (arg.IsScalar() && !arg.Scalar().empty()) expression += " " + arg.Scalar();
  return unresolvable(expression, owner, path);
}

std::optional<YAML::Node> resolver::ref(const std::string& name, const std::string& owner, const std::string& path) {
  const load_options& o = m_options;
  if (name == "AWS::NoValue") return std::nullopt;
  if (name == "AWS::Region") return scalar(o.region);
  if (name == "AWS::AccountId") return scalar(o.account_id);
  if (name == "AWS::StackName") return scalar(o.stack_name);
  if (name == "AWS::StackId")
    return scalar("arn:aws:cloudformation:" + o.region + ":" + o.account_id + ":stack/" + o.stack_name + "/" +
                  std::string(stack_uuid));
  if (name == "AWS::Partition") return scalar("aws");
  if (name == "AWS::URLSuffix") return scalar("amazonaws.com");
  if (name == "AWS::NotificationARNs") return YAML::Node(YAML::NodeType::Sequence);
  if (const auto p = m_parameters.find(name); p != m_parameters.end()) return p->second;
  const std::string type = resource_type(name);
  if (is_function(type)) return scalar(function_name(name));
  if (type == "AWS::SQS::Queue")
    return scalar("https://sqs." + o.region + ".amazonaws.com/" + o.account_id + "/" + queue_name(name));
  if (!type.empty()) return scalar(name);
  return unresolvable("!Ref " + name, owner, path);
}

YAML::Node resolver::get_att(const std::string& id, const std::string& attribute, const std::string& owner,
                             const std::string& path) {
  const load_options& o = m_options;
  const std::string type = resource_type(id);
  if (is_function(type) && attribute == "Arn")
    return scalar("arn:aws:lambda:" + o.region + ":" + o.account_id + ":function:" + function_name(id));
  if (type == "AWS::SQS::Queue") {
    if (attribute == "Arn") return scalar("arn:aws:sqs:" + o.region + ":" + o.account_id + ":" + queue_name(id));
    if (attribute == "QueueName") return scalar(queue_name(id));
    if (attribute == "QueueUrl")
      return scalar("https://sqs." + o.region + ".amazonaws.com/" + o.account_id + "/" + queue_name(id));
  }
  return unresolvable("!GetAtt " + id + "." + attribute, owner, path);
}

std::string resolver::named(const std::string& logical_id, const char* property) {
  const YAML::Node properties = child(resource(logical_id), "Properties");
  if (!child(properties, property)) return logical_id;
  if (!m_naming.insert(logical_id).second)
    fail(m_file, child(properties, property).Mark(), "Resources." + logical_id + ".Properties." + property,
         "the name refers to itself");
  const auto value = resolve(properties[property], logical_id, property);
  m_naming.erase(logical_id);
  return value && value->IsScalar() && !value->Scalar().empty() ? value->Scalar() : logical_id;
}

std::string resolver::function_name(const std::string& logical_id) { return named(logical_id, "FunctionName"); }
std::string resolver::queue_name(const std::string& logical_id) { return named(logical_id, "QueueName"); }

YAML::Node resolver::sub(const YAML::Node& argument, const YAML::Mark& mark, const std::string& owner,
                         const std::string& path) {
  std::string format;
  std::map<std::string, std::string> variables;
  if (argument.IsScalar()) {
    format = argument.Scalar();
  } else if (argument.IsSequence() && argument.size() == 2 && argument[0].IsScalar() && argument[1].IsMap()) {
    format = argument[0].Scalar();
    for (const auto& v : argument[1]) {
      const std::string key = v.first.Scalar();
      variables[key] = text(resolve(v.second, owner, path), "!Sub variable " + key, owner, path);
    }
  } else {
    fail(m_file, mark, where(owner, path), "!Sub: expected a string or [string, {variables}], got " + describe(argument));
  }
  std::string out;
  std::size_t i = 0;
  while (i < format.size()) {
    const auto start = format.find("${", i);
    const auto end = start == std::string::npos ? std::string::npos : format.find('}', start + 2);
    if (end == std::string::npos) {
      out += format.substr(i);
      break;
    }
    out += format.substr(i, start - i);
    const std::string inner = format.substr(start + 2, end - start - 2);
    i = end + 1;
    if (inner.starts_with('!')) { // ${!Literal} is the text ${Literal}
      out += "${" + inner.substr(1) + "}";
      continue;
    }
    const std::string name(util::trim(inner));
    if (const auto v = variables.find(name); v != variables.end()) {
      out += v->second;
    } else if (const auto dot = name.find('.'); dot != std::string::npos && !resource_type(name.substr(0, dot)).empty()) {
      out += text(get_att(name.substr(0, dot), name.substr(dot + 1), owner, path), "${" + name + "}", owner, path);
    } else if (dot != std::string::npos) {
      unresolvable("${" + name + "}", owner, path);
    } else {
      out += text(ref(name, owner, path), "${" + name + "}", owner, path);
    }
  }
  return scalar(out);
}

YAML::Node resolver::find_in_map(const YAML::Node& argument, const YAML::Mark& mark, const std::string& owner,
                                 const std::string& path) {
  if (!argument.IsSequence() || argument.size() < 3 || argument.size() > 4)
    fail(m_file, mark, where(owner, path), "!FindInMap: expected [MapName, TopLevelKey, SecondLevelKey], got " + describe(argument));
  std::string keys[3];
  for (std::size_t k = 0; k < 3; ++k) keys[k] = text(resolve(argument[k], owner, path), "!FindInMap key", owner, path);
  const YAML::Node found = child(child(child(child(m_root, "Mappings"), keys[0]), keys[1]), keys[2]);
  if (found) return found;
  if (argument.size() == 4 && child(argument[3], "DefaultValue")) {
    const auto fallback = resolve(child(argument[3], "DefaultValue"), owner, path);
    if (fallback) return *fallback;
  }
  return unresolvable("!FindInMap [" + keys[0] + ", " + keys[1] + ", " + keys[2] + "]", owner, path);
}

bool resolver::condition_operand(const YAML::Node& node, const std::string& owner, const std::string& path) {
  if (const auto fn = as_intrinsic(node, true); fn && fn->name == "Condition") {
    if (!fn->argument.IsScalar()) fail(m_file, node.Mark(), where(owner, path), "Condition: expected a condition name");
    return condition(fn->argument.Scalar(), node.Mark());
  }
  const auto value = resolve(node, owner, path);
  if (value && value->IsScalar() && (value->Scalar() == "true" || value->Scalar() == "false"))
    return value->Scalar() == "true";
  fail(m_file, node.Mark(), where(owner, path), "expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), got " +
                                      (value ? describe(*value) : "nothing"));
}

bool resolver::condition(const std::string& name, const YAML::Mark& mark) {
  if (const auto known = m_condition_values.find(name); known != m_condition_values.end()) return known->second;
  const YAML::Node definition = child(m_conditions, name);
  if (!definition) fail(m_file, mark, "", "condition '" + name + "' is not in the Conditions section");
  for (std::size_t i = 0; i < m_evaluating.size(); ++i) {
    if (m_evaluating[i] != name) continue;
    std::string chain;
    for (std::size_t j = i; j < m_evaluating.size(); ++j) chain += m_evaluating[j] + " -> ";
    fail(m_file, definition.Mark(), "Conditions." + name, "the condition depends on itself: " + chain + name);
  }
  m_evaluating.push_back(name);
  const bool value = condition_operand(definition, "Conditions", name);
  m_evaluating.pop_back();
  m_condition_values[name] = value;
  return value;
}

void resolver::check_conditions() {
  const YAML::Node& conditions = m_conditions;
  if (!conditions.IsDefined() || !conditions.IsMap()) return;
  for (const auto& entry : conditions) condition(entry.first.Scalar(), entry.first.Mark());
}

} // namespace lemu::templates::detail
