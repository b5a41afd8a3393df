#pragma once
// Structural comparison of two JSON values (a recorded invocation outcome and its replay), and a readable
// rendering of the differences. Pure; the caller prints.
//
// Rules:
//   - objects are compared key by key, whatever the order of the keys; a key on one side only is `removed`
//     (expected only) or `added` (actual only); differences come in the order of the sorted keys
//   - arrays are compared element by element; extra elements at the end are `removed` / `added`, one
//     difference each
//   - numbers compare by value, exactly: 1 == 1.0 == 1e0, and 2^53 + 1 != 2^53 (no rounding through double);
//     integers beyond 64 bits (parse_exact keeps their digits) compare digit by digit
//   - values of different JSON types (null, boolean, number, string, object, array) are `type_changed`
//   - a node matched by one of `diff_options::ignore` is skipped with everything below it, on both sides
//   - strings that hold JSON: when both values are strings that differ as text and both parse as JSON objects or
//     arrays (an API Gateway response `body`, say), the parsed values are compared instead. Their paths carry the
//     marker "<json>" after the string's own path: "$.body<json>.items[0].id". Texts that are equal as JSON
//     (whitespace, key order, 1.0 vs 1) make no difference. When only one side parses (or neither, or the
//     nesting is deeper than util::max_json_depth), the strings are compared as text. The marker is not a segment:
//     ignore patterns see "$.body.items[0].id" (and accept the marker written in them).
//
// Paths are displayed in JSONPath form (see path.hpp): "$", "$.body.items[2].id", "$.headers['x-amz-id']".

#include <lemu/compare/path.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace lemu::compare {

struct difference {
  enum class kind { changed, added, removed, type_changed };
  kind what = kind::changed;
  std::string path;                        // display path: $.body<json>.items[2].id ($ for the root)
  std::optional<nlohmann::json> expected;  // absent for `added`
  std::optional<nlohmann::json> actual;    // absent for `removed`
  bool operator==(const difference&) const = default;
};

// "changed" | "added" | "removed" | "type_changed"
const char* to_string(difference::kind k);

struct diff_options {
  std::vector<path_pattern> ignore;
  bool json_in_strings = true;
};

// Every difference between `expected` and `actual`, in document order; empty when they are equal.
// The walk is iterative (deep nesting does not exhaust the stack).
std::vector<difference> diff(const nlohmann::json& expected, const nlohmann::json& actual,
                             const diff_options& o = {});

// One block per difference, in order:
//     $.body<json>.total: changed
//       - 3
//       + 4
//     $.headers.X_New: added
//       + "yes"
//     $.count: type changed (number → string)
//       - 1
//       + "1"
// "- " is the expected value, "+ " the actual one; values are compact JSON, cut after 200 bytes (on a UTF-8
// boundary) with "…". With `color`: the path bold, "-" lines red, "+" lines green (ANSI). At most `max_lines`
// lines of blocks (a block is never split); the rest is counted in a last line "  … N more differences".
// Every line ends with '\n'; no differences is "".
std::string render(const std::vector<difference>& d, bool color, std::size_t max_lines = 200);

} // namespace lemu::compare
