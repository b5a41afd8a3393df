#pragma once
// Paths into a JSON value: the patterns of paths to skip when comparing (`path_pattern`) and the display form
// of a path in a difference. Pure; no I/O.
//
// A pattern is written either as
//   - a JSON Pointer (RFC 6901): "/body/items/0/id", "" is not accepted (use "$" for the root); "~0" is "~"
//     and "~1" is "/". Every token is a literal name: "*" is the key "*", not a wildcard (RFC 6901 has none).
//   - a simple JSONPath: "$" then any of
//       .name          a name; any characters but '.', '[', ']', quotes, whitespace and '*'
//                      ("$.headers.Date", "$.headers.X-Amz-Date")
//       ['name']       a quoted name, '...' or "..." with the JSON escapes \' \" \\ \/ \b \f \n \r \t \uXXXX
//                      ("$['x-amzn-requestid']")
//       [N]            an array index, decimal without leading zeros ("$.items[2]")
//       [*]  .*        a wildcard: every index of an array and every key of an object
//       <json>         the marker of a string that holds JSON (see json_diff.hpp); accepted after a segment
//                      and ignored, so that a path printed in a difference can be pasted as a pattern
//     Recursive descent (..), filters, slices, unions and negative indexes are rejected.
// Both forms parse to the same segments: "/items/2/id" and "$.items[2].id" are {"items", "2", "id"}. An index
// and a name are the same segment: "2" matches index 2 of an array and the key "2" of an object.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::compare {

class path_pattern {
public:
  struct segment {
    std::string name;      // a key, or an array index in decimal; empty for a wildcard
    bool wildcard = false; // [*] / .* : any one key or index
    bool operator==(const segment&) const = default;
  };

  // Throws std::invalid_argument, e.g.
  //   invalid path "$..a": recursive descent ("..") is not supported (at character 2)
  static path_pattern parse(std::string_view text);

  // True when `path` (keys and decimal indexes from the root) has exactly as many segments as the pattern and
  // each one matches. The diff checks every node, so a pattern that matches a node skips all of it.
  bool matches(const std::vector<std::string>& path) const;
  // True when the pattern matches `path` or one of its ancestors (a prefix of it): whether a node is skipped.
  bool covers(const std::vector<std::string>& path) const;

  const std::string& text() const { return m_text; }
  const std::vector<segment>& segments() const { return m_segments; }

private:
  bool matches_prefix(const std::vector<std::string>& path, std::size_t length) const;

  std::string m_text;
  std::vector<segment> m_segments;
};

// The display form of a path (JSONPath): "$" for the root, ".name" for a key that is an identifier
// ([A-Za-z_][A-Za-z0-9_]*), "['name']" for any other key (with \' \\ and control characters escaped, so that
// `path_pattern::parse` reads it back), "[N]" for an array index.
void append_key(std::string& display, std::string_view key);
void append_index(std::string& display, std::size_t index);

} // namespace lemu::compare
