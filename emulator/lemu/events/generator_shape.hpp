#pragma once
// Structural comparison of two JSON events ("shape"): the same keys at the same places, with the same JSON
// types; values are ignored. Used to hold generated events to the structure of real fixtures.
//
//   - objects: a key on one side only is a difference ("missing" when only the reference has it, "extra" when
//     only the candidate has it); keys on both sides are compared recursively;
//   - arrays: every candidate element is compared with the reference's first element (an empty reference
//     array accepts anything);
//   - types: null, boolean, number (integers and floats are one type), string, array, object;
//   - map paths: objects whose keys are user data (headers, queryStringParameters, messageAttributes, ...)
//     are compared only as "object", without matching their keys or looking inside.
//
// Paths name object keys joined by '.', with "[]" for "any element of the array": "Records[].messageAttributes".
// The root is "".

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lemu::events {

struct shape_difference {
  enum class kind { missing, extra, type };
  kind what = kind::missing;
  std::string path;
  std::string reference_type, candidate_type; // set for kind::type

  // "missing requestContext.authorizer", "extra isBase64Encoded",
  // "type requestContext.identity.caller: string -> null" (reference type -> candidate type)
  std::string to_string() const;
  friend bool operator==(const shape_difference&, const shape_difference&) = default;
};

struct shape_options {
  std::vector<std::string> map_paths; // compared as "object" only (paths as above)
};

// "null", "boolean", "number", "string", "array", "object".
std::string_view shape_type_name(const nlohmann::ordered_json& value);

// Differences in document order of the reference, then candidate-only keys; empty when the shapes agree.
std::vector<shape_difference> compare_shapes(const nlohmann::ordered_json& reference,
                                             const nlohmann::ordered_json& candidate,
                                             const shape_options& options = {});

} // namespace lemu::events
