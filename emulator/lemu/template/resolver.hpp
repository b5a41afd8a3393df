#pragma once
// Internal to lemu/template: the intrinsic functions of a template resolved to local values.
//
// A resolved value is a YAML node without intrinsic functions: a scalar (its text as written), a sequence or
// a map. A value that cannot be had locally (!GetAtt Table.Arn, !ImportValue ...) becomes "" and a warning
// naming the place; AWS::NoValue is std::nullopt (the caller drops the key or list item). Errors
// (template_error) for what CloudFormation itself refuses: an unknown condition, a cycle between conditions.

#include <lemu/template/template.hpp>

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lemu::templates::detail {

// "file:LINE:COLUMN" (1-based), or "file" for a node without a place (one built while resolving).
std::string place(const std::string& file, const YAML::Mark& mark);
[[noreturn]] void fail(const std::string& file, const YAML::Mark& mark, const std::string& path,
                       const std::string& what);

// "'abc'" for a scalar, "a list", "a map", "nothing" for a null.
std::string describe(const YAML::Node& node);
// A plain scalar YAML reads as a boolean (true/false, yes/no, on/off in any of their cases): its value.
std::optional<bool> yaml_bool(const YAML::Node& node);
// A scalar as an environment variable's value: as written, but a plain boolean is "true" / "false".
std::string scalar_text(const YAML::Node& node);

// map[key], or an undefined node when `map` is not a map or has no such key (yaml-cpp's operator[] on a
// missing key gives a node that throws when used).
YAML::Node child(const YAML::Node& map, const std::string& key);

// An intrinsic function: "Ref", "Fn::Sub", ... (the long name for both forms), and its argument.
// `condition_key`: a single-key map {Condition: X} counts too (inside Fn::And, Fn::Or, Fn::Not).
struct intrinsic {
  std::string name;
  YAML::Node argument;
};
// `tags`: false to look only for the long form (the argument of a short form, whose tag is the function).
std::optional<intrinsic> as_intrinsic(const YAML::Node& node, bool condition_key = false, bool tags = true);

// The Parameters section with the overrides applied: name -> value (a scalar, or a sequence for the list types).
std::map<std::string, YAML::Node> read_parameters(const std::string& file, const YAML::Node& root,
                                                  const load_options& options, std::vector<std::string>& warnings);

class resolver {
public:
  resolver(std::string file, YAML::Node root, std::map<std::string, YAML::Node> parameters,
           const load_options& options, std::vector<std::string>& warnings);

  // `node` with every intrinsic function replaced; nullopt for AWS::NoValue. `owner` and `path` name the
  // place in warnings ("Orders", "Environment.Variables.TABLE").
  std::optional<YAML::Node> resolve(const YAML::Node& node, const std::string& owner, const std::string& path);
  // A condition of the Conditions section; throws for an unknown one or a cycle.
  bool condition(const std::string& name, const YAML::Mark& mark);
  // Every condition of the Conditions section evaluated (CloudFormation checks them all).
  void check_conditions();

  // A resource of the template: its type ("" when none has this logical id) and its node.
  std::string resource_type(const std::string& logical_id) const;
  YAML::Node resource(const std::string& logical_id) const;
  const YAML::Node& resources() const { return m_resources; }
  const std::string& file() const { return m_file; }
  const load_options& options() const { return m_options; }

  // A function's name: its FunctionName resolved, else its logical id.
  std::string function_name(const std::string& logical_id);
  void warn(std::string line) { m_warnings.push_back(std::move(line)); }
  std::size_t warning_count() const { return m_warnings.size(); }
  void drop_warnings(std::size_t from) { m_warnings.resize(from); }

private:
  // resolve() for a node that is not itself a function call (its tag, if any, is ignored).
  std::optional<YAML::Node> structure(const YAML::Node& node, const std::string& owner, const std::string& path);
  // The argument of a function resolved: for a short form (!Base64 x), the tagged node without its tag.
  std::optional<YAML::Node> argument(const intrinsic& fn, const YAML::Node& node, const std::string& owner,
                                     const std::string& path);
  std::optional<YAML::Node> call(const intrinsic& fn, const YAML::Node& node, const std::string& owner,
                                 const std::string& path);
  std::optional<YAML::Node> ref(const std::string& name, const std::string& owner, const std::string& path);
  YAML::Node get_att(const std::string& id, const std::string& attribute, const std::string& owner,
                     const std::string& path);
  YAML::Node sub(const YAML::Node& argument, const YAML::Mark& mark, const std::string& owner,
                 const std::string& path);
  YAML::Node find_in_map(const YAML::Node& argument, const YAML::Mark& mark, const std::string& owner,
                         const std::string& path);
  bool condition_operand(const YAML::Node& node, const std::string& owner, const std::string& path);
  // The resolved value as one string (a Sub variable, a Join item): "" and a warning for a list or a map.
  std::string text(const std::optional<YAML::Node>& value, const std::string& what, const std::string& owner,
                   const std::string& path);
  YAML::Node unresolvable(const std::string& expression, const std::string& owner, const std::string& path);
  std::string queue_name(const std::string& logical_id);
  std::string named(const std::string& logical_id, const char* property);

  std::string m_file;
  YAML::Node m_root;
  YAML::Node m_resources;
  YAML::Node m_conditions;
  std::map<std::string, YAML::Node> m_parameters;
  const load_options& m_options;
  std::vector<std::string>& m_warnings;
  std::map<std::string, bool> m_condition_values;
  std::vector<std::string> m_evaluating; // conditions being evaluated, outermost first
  std::set<std::string> m_naming;        // resources whose name is being resolved
};

} // namespace lemu::templates::detail
