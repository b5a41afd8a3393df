#pragma once
// Internal to lemu/template: reading a resource's properties with their types checked, each resolved when
// read (so that a warning is given once and an error points at the property as written).

#include <lemu/template/resolver.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lemu::templates::detail {

// A property as written: the node (maybe an intrinsic function), where it is written (its parent's place
// when a Globals merge built it) and its path below the reader's base ("Environment.Variables.TABLE").
struct at {
  YAML::Node raw;
  YAML::Mark mark;
  std::string path;
};
using entries_t = std::vector<std::pair<std::string, at>>;

class property_reader {
public:
  // `owner`: the logical id warnings name; `base`: the path errors start with ("Resources.Orders.Properties").
  property_reader(resolver& r, std::string owner, std::string base) : m_r(r), m_owner(std::move(owner)), m_base(std::move(base)) {}

  // A map's entries (in order, AWS::NoValue ones left out); none for an absent or AWS::NoValue node.
  entries_t entries(const at& a);
  // A list's items; none for an absent or AWS::NoValue node.
  std::vector<at> items(const at& a);
  // The typed value of a scalar; nullopt when absent or AWS::NoValue. Errors for another type.
  std::optional<YAML::Node> value(const at& a);
  std::optional<std::string> string(const at& a);
  std::optional<double> number(const at& a);
  std::optional<std::uint32_t> count(const at& a);
  std::optional<bool> boolean(const at& a);
  // Whether the property has a value (not absent, nor AWS::NoValue), without warnings.
  bool present(const at& a);

  [[noreturn]] void fail(const at& a, const std::string& what) const;
  void warn(const std::string& path, const std::string& what) const;
  resolver& r() { return m_r; }
  const std::string& owner() const { return m_owner; }

private:
  std::optional<YAML::Node> container(const at& a, YAML::NodeType::value type, const char* expected);

  resolver& m_r;
  std::string m_owner;
  std::string m_base;
};

// The entry with this key; an absent `at` (undefined node) when none.
at find(const entries_t& entries, const std::string& key, const at& parent);

// Globals.Function merged into a function's Properties by SAM's rules: maps merged key by key (the
// function's value wins), lists appended (the Globals' items first), anything else (a scalar, an intrinsic
// function, two different types) the function's.
YAML::Node merge_globals(const YAML::Node& globals, const YAML::Node& local);

// A function resource; nullopt when its Condition is false. `globals`: Globals.Function.
// Paths are relative to `template_dir` (absolute).
std::optional<function> read_function(resolver& r, const std::string& id, const YAML::Node& resource,
                                      const YAML::Node& globals, const std::filesystem::path& template_dir);

// An AWS::SQS::Queue resource; nullopt when its Condition is false.
std::optional<queue> read_queue(resolver& r, const std::string& id, const YAML::Node& resource);

// The events of a function's Events property.
std::vector<function_event> read_events(property_reader& p, const at& events);

} // namespace lemu::templates::detail
