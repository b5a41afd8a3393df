// Path patterns (JSON Pointer and JSONPath), the structural diff and its rendering.
#include <lemu/compare/json_diff.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::compare {

// Readable failures.
void PrintTo(const difference& d, std::ostream* os) {
  *os << "{" << to_string(d.what) << " " << d.path << " expected=" << (d.expected ? d.expected->dump() : "none")
      << " actual=" << (d.actual ? d.actual->dump() : "none") << "}";
}

namespace {

using nlohmann::json;
using seg = path_pattern::segment;

difference changed(std::string path, json e, json a) {
  return {difference::kind::changed, std::move(path), std::move(e), std::move(a)};
}
difference added(std::string path, json a) {
  return {difference::kind::added, std::move(path), std::nullopt, std::move(a)};
}
difference removed(std::string path, json e) {
  return {difference::kind::removed, std::move(path), std::move(e), std::nullopt};
}
difference type_changed(std::string path, json e, json a) {
  return {difference::kind::type_changed, std::move(path), std::move(e), std::move(a)};
}

diff_options ignoring(std::initializer_list<const char*> patterns) {
  diff_options o;
  for (const char* p : patterns) o.ignore.push_back(path_pattern::parse(p));
  return o;
}

std::vector<difference> diff_text(const char* expected, const char* actual, const diff_options& o = {}) {
  return diff(json::parse(expected), json::parse(actual), o);
}

std::string parse_error(const char* text) {
  try {
    path_pattern::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

// ---------------------------------------------------------------------------------------------- path_pattern

TEST(path_pattern, json_pointer) {
  auto p = path_pattern::parse("/body/items/0/id");
  EXPECT_EQ(p.text(), "/body/items/0/id");
  EXPECT_EQ(p.segments(), (std::vector<seg>{{"body"}, {"items"}, {"0"}, {"id"}}));
  EXPECT_TRUE(p.matches({"body", "items", "0", "id"}));
  EXPECT_FALSE(p.matches({"body", "items", "1", "id"}));
  EXPECT_FALSE(p.matches({"body", "items", "0"}));
  EXPECT_FALSE(p.matches({"body", "items", "0", "id", "x"}));
}

TEST(path_pattern, json_pointer_escapes) {
  EXPECT_EQ(path_pattern::parse("/a~1b/c~0d").segments(), (std::vector<seg>{{"a/b"}, {"c~d"}}));
  // Left to right: "~01" is "~1", not "/".
  EXPECT_EQ(path_pattern::parse("/~01").segments(), (std::vector<seg>{{"~1"}}));
  // "/" is the empty key; "/a/" is "a" then the empty key.
  EXPECT_EQ(path_pattern::parse("/").segments(), (std::vector<seg>{{""}}));
  EXPECT_EQ(path_pattern::parse("/a/").segments(), (std::vector<seg>{{"a"}, {""}}));
  // No wildcards in JSON Pointer: "*" is a key.
  auto star = path_pattern::parse("/items/*");
  EXPECT_EQ(star.segments(), (std::vector<seg>{{"items"}, {"*"}}));
  EXPECT_TRUE(star.matches({"items", "*"}));
  EXPECT_FALSE(star.matches({"items", "0"}));
}

TEST(path_pattern, json_pointer_errors) {
  EXPECT_EQ(parse_error("/a~2"),
            "invalid path \"/a~2\": '~' must be followed by '0' (for '~') or '1' (for '/') in a JSON Pointer "
            "(at character 3)");
  EXPECT_NE(parse_error("/a~").find("'~' must be followed"), std::string::npos);
}

TEST(path_pattern, jsonpath) {
  EXPECT_EQ(path_pattern::parse("$").segments(), std::vector<seg>{});
  EXPECT_EQ(path_pattern::parse("$.headers.Date").segments(), (std::vector<seg>{{"headers"}, {"Date"}}));
  EXPECT_EQ(path_pattern::parse("$['x-amzn-requestid']").segments(), (std::vector<seg>{{"x-amzn-requestid"}}));
  EXPECT_EQ(path_pattern::parse("$[\"x-amzn-requestid\"]").segments(), (std::vector<seg>{{"x-amzn-requestid"}}));
  EXPECT_EQ(path_pattern::parse("$.items[2]").segments(), (std::vector<seg>{{"items"}, {"2"}}));
  EXPECT_EQ(path_pattern::parse("$.a.b[*].c").segments(),
            (std::vector<seg>{{"a"}, {"b"}, {"", true}, {"c"}}));
  EXPECT_EQ(path_pattern::parse("$.a.*.c").segments(), (std::vector<seg>{{"a"}, {"", true}, {"c"}}));
  EXPECT_EQ(path_pattern::parse("$[ 'a' ][ 0 ][ * ]").segments(), (std::vector<seg>{{"a"}, {"0"}, {"", true}}));
  // Lenient dot names (headers): anything but . [ ] quotes whitespace and *.
  EXPECT_EQ(path_pattern::parse("$.headers.X-Amz-Date").segments(), (std::vector<seg>{{"headers"}, {"X-Amz-Date"}}));
  EXPECT_EQ(path_pattern::parse("$.a.0").segments(), (std::vector<seg>{{"a"}, {"0"}}));
  // '*' in quotes is a key.
  EXPECT_EQ(path_pattern::parse("$['*']").segments(), (std::vector<seg>{{"*"}}));
}

TEST(path_pattern, jsonpath_quoted_escapes) {
  EXPECT_EQ(path_pattern::parse(R"($['it\'s']['a\\b']["q\"q"]['\/'])").segments(),
            (std::vector<seg>{{"it's"}, {"a\\b"}, {"q\"q"}, {"/"}}));
  EXPECT_EQ(path_pattern::parse(R"($['\b\f\n\r\t'])").segments(), (std::vector<seg>{{"\b\f\n\r\t"}}));
  EXPECT_EQ(path_pattern::parse(R"($['\u00e9\u20AC\ud83d\ude00'])").segments(),
            (std::vector<seg>{{"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"}}));
  // Brackets, dots and the marker are plain characters inside quotes.
  EXPECT_EQ(path_pattern::parse("$['a.b[0]<json>']").segments(), (std::vector<seg>{{"a.b[0]<json>"}}));
}

TEST(path_pattern, both_forms_parse_to_the_same_segments) {
  EXPECT_EQ(path_pattern::parse("/body/items/0/id").segments(),
            path_pattern::parse("$.body.items[0].id").segments());
  EXPECT_EQ(path_pattern::parse("/headers/x-amzn-requestid").segments(),
            path_pattern::parse("$.headers['x-amzn-requestid']").segments());
  EXPECT_EQ(path_pattern::parse("/a~1b").segments(), path_pattern::parse("$['a/b']").segments());
}

TEST(path_pattern, json_marker_is_accepted_and_ignored) {
  EXPECT_EQ(path_pattern::parse("$.body<json>.items[0].id").segments(),
            path_pattern::parse("$.body.items[0].id").segments());
  EXPECT_EQ(path_pattern::parse("$<json>.a").segments(), (std::vector<seg>{{"a"}}));
  EXPECT_EQ(path_pattern::parse("$.a[1]<json>[2]").segments(), (std::vector<seg>{{"a"}, {"1"}, {"2"}}));
}

TEST(path_pattern, wildcard_matches_indexes_and_keys) {
  auto p = path_pattern::parse("$.items[*].id");
  EXPECT_TRUE(p.matches({"items", "0", "id"}));
  EXPECT_TRUE(p.matches({"items", "17", "id"}));
  EXPECT_TRUE(p.matches({"items", "someKey", "id"}));
  EXPECT_FALSE(p.matches({"items", "0", "name"}));
  EXPECT_FALSE(p.matches({"items", "0"}));
}

TEST(path_pattern, covers_descendants) {
  auto p = path_pattern::parse("$.body");
  EXPECT_TRUE(p.covers({"body"}));
  EXPECT_TRUE(p.covers({"body", "items", "0"}));
  EXPECT_FALSE(p.covers({}));
  EXPECT_FALSE(p.covers({"headers"}));
  EXPECT_FALSE(p.matches({"body", "items"}));
  EXPECT_TRUE(path_pattern::parse("$").covers({"anything"}));
}

TEST(path_pattern, jsonpath_errors) {
  EXPECT_EQ(parse_error(""),
            "invalid path \"\": empty (a JSON Pointer starts with '/', a JSONPath with '$'; the root is \"$\")");
  EXPECT_EQ(parse_error("body.items"),
            "invalid path \"body.items\": a path starts with '/' (JSON Pointer) or '$' (JSONPath) (at character 1)");
  EXPECT_EQ(parse_error("$..a"), "invalid path \"$..a\": recursive descent (\"..\") is not supported (at character 2)");
  EXPECT_EQ(parse_error("$.a."), "invalid path \"$.a.\": a name must follow '.' (at character 4)");
  EXPECT_EQ(parse_error("$a"), "invalid path \"$a\": expected '.', '[' or \"<json>\" (at character 2)");
  EXPECT_EQ(parse_error("$.a[1"), "invalid path \"$.a[1\": unterminated '[' (expected ']') (at character 4)");
  EXPECT_EQ(parse_error("$.a["), "invalid path \"$.a[\": unterminated '[' (at character 4)");
  EXPECT_EQ(parse_error("$['a"), "invalid path \"$['a\": unterminated quoted name (at character 3)");
  EXPECT_EQ(parse_error("$['a'"), "invalid path \"$['a'\": unterminated '[' (expected ']') (at character 2)");
  EXPECT_EQ(parse_error("$[-1]"), "invalid path \"$[-1]\": negative indexes are not supported (at character 3)");
  EXPECT_EQ(parse_error("$[01]"), "invalid path \"$[01]\": an index has no leading zeros (at character 3)");
  EXPECT_EQ(parse_error("$[a]"),
            "invalid path \"$[a]\": expected a quoted name, an index or '*' after '[' (at character 3)");
  EXPECT_EQ(parse_error("$[?(@.a)]"),
            "invalid path \"$[?(@.a)]\": filters (\"[?...]\") are not supported (at character 3)");
  EXPECT_EQ(parse_error("$[0:2]"), "invalid path \"$[0:2]\": slices are not supported (at character 4)");
  EXPECT_EQ(parse_error("$[0,1]"), "invalid path \"$[0,1]\": unions (\"[a,b]\") are not supported (at character 4)");
  EXPECT_EQ(parse_error("$.a*"), "invalid path \"$.a*\": '*' is a wildcard for a whole segment only (at character 4)");
  EXPECT_EQ(parse_error("$.*a"), "invalid path \"$.*a\": '*' is a wildcard for a whole segment only (at character 3)");
  EXPECT_EQ(parse_error("$.a b"),
            "invalid path \"$.a b\": unexpected character in a name after '.' (write other names as ['name']) "
            "(at character 4)");
  EXPECT_EQ(parse_error("$['\\x']"), "invalid path \"$['\\x']\": unknown escape in a quoted name (at character 4)");
  EXPECT_EQ(parse_error("$['\\u12']"),
            "invalid path \"$['\\u12']\": \\u must be followed by four hex digits (at character 4)");
  EXPECT_NE(parse_error("$['\\ud83d']").find("high surrogate"), std::string::npos);
  EXPECT_NE(parse_error("$['\\ude00']").find("lone low surrogate"), std::string::npos);
  EXPECT_NE(parse_error("$.a<json><json>").find("\"<json>\" must follow a name or an index"), std::string::npos);
  EXPECT_THROW(path_pattern::parse("$.a]"), std::invalid_argument);
}

// ------------------------------------------------------------------------------------------------ diff rules

TEST(diff, equal_values_have_no_differences) {
  EXPECT_TRUE(diff_text(R"({"a":1,"b":[1,2,{"c":null}],"d":"x","e":true})",
                        R"({"e":true,"d":"x","b":[1,2,{"c":null}],"a":1})")
                  .empty());
  EXPECT_TRUE(diff(json(), json()).empty());
}

TEST(diff, objects_key_by_key_in_sorted_key_order) {
  EXPECT_EQ(diff_text(R"({"b":1,"a":2,"c":3,"z":0})", R"({"z":0,"d":4,"a":2,"b":5})"),
            (std::vector<difference>{changed("$.b", 1, 5), removed("$.c", 3), added("$.d", 4)}));
}

TEST(diff, nested_paths) {
  EXPECT_EQ(diff_text(R"({"body":{"items":[{"id":1},{"id":2},{"id":3}]}})",
                      R"({"body":{"items":[{"id":1},{"id":2},{"id":4}]}})"),
            std::vector<difference>{changed("$.body.items[2].id", 3, 4)});
}

TEST(diff, arrays_element_by_element_extra_elements_at_the_end) {
  EXPECT_EQ(diff_text("[1,2,3,4]", "[1,9]"),
            (std::vector<difference>{changed("$[1]", 2, 9), removed("$[2]", 3), removed("$[3]", 4)}));
  EXPECT_EQ(diff_text(R"({"a":[1]})", R"({"a":[1,{"x":1},"s"]})"),
            (std::vector<difference>{added("$.a[1]", json{{"x", 1}}), added("$.a[2]", "s")}));
  // Not a longest-common-subsequence diff: an insertion at the front changes every element.
  EXPECT_EQ(diff_text("[1,2]", "[0,1,2]"),
            (std::vector<difference>{changed("$[0]", 1, 0), changed("$[1]", 2, 1), added("$[2]", 2)}));
}

TEST(diff, numbers_compare_by_value) {
  EXPECT_TRUE(diff_text("[1, -1, 0, 1e2, 18446744073709551615]", "[1.0, -1.0, -0.0, 100, 18446744073709551615]")
                  .empty());
  EXPECT_TRUE(diff(json(1), json(1.0)).empty());
  EXPECT_TRUE(diff(json(std::uint64_t{5}), json(std::int64_t{5})).empty());
  EXPECT_EQ(diff(json(1), json(1.5)), std::vector<difference>{changed("$", 1, 1.5)});
  EXPECT_EQ(diff(json(std::int64_t{-1}), json(std::uint64_t{18446744073709551615ULL})).size(), 1u);
  // Exact: no rounding of big integers through double.
  EXPECT_EQ(diff_text("9007199254740993", "9007199254740992").size(), 1u);
  EXPECT_EQ(diff_text("9007199254740993", "9007199254740992.0").size(), 1u);
  EXPECT_TRUE(diff_text("9007199254740992", "9007199254740992.0").empty());
  EXPECT_EQ(diff_text("18446744073709551615", "1.8446744073709552e19").size(), 1u); // 2^64 as a double
}

TEST(diff, type_changes) {
  EXPECT_EQ(diff_text(R"({"a":1,"b":null,"c":[],"d":"1","e":false})", R"({"a":"1","b":0,"c":{},"d":1,"e":0})"),
            (std::vector<difference>{type_changed("$.a", 1, "1"), type_changed("$.b", nullptr, 0),
                                     type_changed("$.c", json::array(), json::object()), type_changed("$.d", "1", 1),
                                     type_changed("$.e", false, 0)}));
}

TEST(diff, root_level_scalars) {
  EXPECT_TRUE(diff(json("a"), json("a")).empty());
  EXPECT_TRUE(diff(json(true), json(true)).empty());
  EXPECT_EQ(diff(json("a"), json("b")), std::vector<difference>{changed("$", "a", "b")});
  EXPECT_EQ(diff(json(true), json(false)), std::vector<difference>{changed("$", true, false)});
  EXPECT_EQ(diff(json(nullptr), json(1)), std::vector<difference>{type_changed("$", nullptr, 1)});
  EXPECT_EQ(diff(json(1), json::parse("{\"a\":1}")),
            std::vector<difference>{type_changed("$", 1, json{{"a", 1}})});
}

TEST(diff, display_paths) {
  EXPECT_EQ(diff_text(R"({"x-amzn-requestid":"a","it's":1,"a\\b":1,"0":1,"_ok9":1,"":1,"tab\there":1,"caf\u00e9":1})",
                      R"({"x-amzn-requestid":"b","it's":2,"a\\b":2,"0":2,"_ok9":2,"":2,"tab\there":2,"caf\u00e9":2})"),
            (std::vector<difference>{changed("$['']", 1, 2), changed("$['0']", 1, 2), changed("$._ok9", 1, 2),
                                     changed("$['a\\\\b']", 1, 2), changed("$['caf\xC3\xA9']", 1, 2),
                                     changed("$['it\\'s']", 1, 2), changed("$['tab\\there']", 1, 2),
                                     changed("$['x-amzn-requestid']", "a", "b")}));
  // Control characters (ESC included) never reach the terminal raw.
  EXPECT_EQ(diff(json{{"\x1b[31m", 1}}, json{{"\x1b[31m", 2}}).at(0).path, "$['\\u001b[31m']");
  EXPECT_EQ(diff(json{{"\xC2\x9B", 1}}, json{{"\xC2\x9B", 2}}).at(0).path, "$['\\u009b']");
}

TEST(diff, display_paths_parse_back_to_the_same_node) {
  const json e = json::parse(R"({"a b":{"it's":[0,{"x\\y\n":1}]}})");
  const json a = json::parse(R"({"a b":{"it's":[0,{"x\\y\n":2}]}})");
  const auto d = diff(e, a);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "$['a b']['it\\'s'][1]['x\\\\y\\n']");
  EXPECT_TRUE(diff(e, a, ignoring({d[0].path.c_str()})).empty());
}

TEST(diff, ignore_exact_paths_on_both_sides) {
  const char* e = R"({"requestId":"1","headers":{"Date":"Mon","x-amzn-requestid":"r1","Keep":"a"},"v":1})";
  const char* a = R"({"headers":{"Date":"Tue","x-amzn-requestid":"r2","Keep":"b"},"v":2,"extra":true})";
  EXPECT_EQ(diff_text(e, a, ignoring({"$.headers.Date", "$['headers']['x-amzn-requestid']", "/requestId", "$.extra"})),
            (std::vector<difference>{changed("$.headers.Keep", "a", "b"), changed("$.v", 1, 2)}));
}

TEST(diff, ignore_skips_the_whole_subtree) {
  EXPECT_EQ(diff_text(R"({"meta":{"a":1,"b":[1,2]},"v":1})", R"({"meta":{"a":2,"c":3},"v":1})",
                      ignoring({"$.meta"})),
            std::vector<difference>{});
  EXPECT_TRUE(diff_text("[1,2]", R"({"a":1})", ignoring({"$"})).empty());
}

TEST(diff, ignore_wildcard_on_arrays) {
  const char* e = R"({"items":[{"id":"a","n":1},{"id":"b","n":2}]})";
  const char* a = R"({"items":[{"id":"x","n":1},{"id":"y","n":3},{"id":"z","n":4}]})";
  EXPECT_EQ(diff_text(e, a, ignoring({"$.items[*].id"})),
            (std::vector<difference>{changed("$.items[1].n", 2, 3), added("$.items[2]", json{{"id", "z"}, {"n", 4}})}));
  // An added element itself is ignored by a wildcard at its level.
  EXPECT_EQ(diff_text("[1,2]", "[1,3,4]", ignoring({"$[*]"})), std::vector<difference>{});
  // A pointer with an index.
  EXPECT_EQ(diff_text(e, a, ignoring({"/items/1", "/items/2", "$.items[0].id"})), std::vector<difference>{});
}

TEST(diff, ignore_wildcard_on_objects) {
  const char* e = R"({"functions":{"f1":{"arn":"a1","memory":128},"f2":{"arn":"a2","memory":256}}})";
  const char* a = R"({"functions":{"f1":{"arn":"b1","memory":128},"f2":{"arn":"b2","memory":512}}})";
  EXPECT_EQ(diff_text(e, a, ignoring({"$.functions.*.arn"})),
            std::vector<difference>{changed("$.functions.f2.memory", 256, 512)});
  EXPECT_EQ(diff_text(e, a, ignoring({"$.functions[*].arn"})),
            std::vector<difference>{changed("$.functions.f2.memory", 256, 512)});
}

// ------------------------------------------------------------------------------------------ JSON in strings

TEST(diff, json_in_strings_equal_as_json_is_no_difference) {
  const json e = {{"statusCode", 200}, {"body", R"({"total":3,"items":[1,2]})"}};
  const json a = {{"statusCode", 200}, {"body", "{ \"items\": [1, 2.0],\n  \"total\": 3 }"}};
  EXPECT_TRUE(diff(e, a).empty());
  EXPECT_TRUE(diff(json("[1, 2]"), json("[1,2]")).empty());
}

TEST(diff, json_in_strings_different_reports_paths_inside) {
  const json e = {{"body", R"({"total":3,"items":[{"id":1}],"gone":true})"}};
  const json a = {{"body", R"({"total":4,"items":[{"id":1},{"id":2}]})"}};
  EXPECT_EQ(diff(e, a), (std::vector<difference>{removed("$.body<json>.gone", true),
                                                 added("$.body<json>.items[1]", json{{"id", 2}}),
                                                 changed("$.body<json>.total", 3, 4)}));
  // At the root, and a type change between an object and an array held in strings.
  EXPECT_EQ(diff(json("[1]"), json("[2]")), std::vector<difference>{changed("$<json>[0]", 1, 2)});
  EXPECT_EQ(diff(json("[1]"), json("{\"a\":1}")),
            std::vector<difference>{type_changed("$<json>", json::array({1}), json{{"a", 1}})});
}

TEST(diff, json_in_strings_nested) {
  const json e = {{"body", json{{"inner", json{{"x", 1}}.dump()}}.dump()}};
  const json a = {{"body", json{{"inner", json{{"x", 2}}.dump()}}.dump()}};
  EXPECT_EQ(diff(e, a), std::vector<difference>{changed("$.body<json>.inner<json>.x", 1, 2)});
}

TEST(diff, json_in_strings_one_side_not_json_compares_text) {
  EXPECT_EQ(diff(json{{"body", "{\"a\":1}"}}, json{{"body", "Internal Server Error"}}),
            std::vector<difference>{changed("$.body", "{\"a\":1}", "Internal Server Error")});
  EXPECT_EQ(diff(json{{"body", "{\"a\":1"}}, json{{"body", "{\"a\": 1}"}}),
            std::vector<difference>{changed("$.body", "{\"a\":1", "{\"a\": 1}")});
  // Scalars held in strings are text: only objects and arrays are parsed.
  EXPECT_EQ(diff(json("1"), json("1.0")), std::vector<difference>{changed("$", "1", "1.0")});
  EXPECT_EQ(diff(json("{} trailing"), json("{}")), std::vector<difference>{changed("$", "{} trailing", "{}")});
}

TEST(diff, json_in_strings_can_be_turned_off) {
  EXPECT_EQ(diff(json("{\"a\":1}"), json("{\"a\": 1}"), diff_options{{}, false}),
            std::vector<difference>{changed("$", "{\"a\":1}", "{\"a\": 1}")});
}

TEST(diff, json_in_strings_too_deep_compares_text) {
  const std::string deep_e = std::string(2000, '[') + "1" + std::string(2000, ']');
  const std::string deep_a = std::string(2000, '[') + " 1" + std::string(2000, ']');
  const auto d = diff(json(deep_e), json(deep_a));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "$");
}

TEST(diff, ignore_applies_inside_json_in_strings) {
  const json e = {{"body", R"({"requestId":"a","items":[{"id":"x","v":1}],"v":1})"}};
  const json a = {{"body", R"({"requestId":"b","items":[{"id":"y","v":1}],"v":2})"}};
  EXPECT_EQ(diff(e, a, ignoring({"$.body.requestId", "/body/items/0/id"})),
            std::vector<difference>{changed("$.body<json>.v", 1, 2)});
  // The marker may be written in the pattern (a path copied from the output).
  EXPECT_EQ(diff(e, a, ignoring({"$.body<json>.requestId", "$.body<json>.items[*].id", "$.body<json>.v"})),
            std::vector<difference>{});
  EXPECT_TRUE(diff(e, a, ignoring({"$.body"})).empty());
}

TEST(diff, deep_nesting_does_not_exhaust_the_stack) {
  // nlohmann's parser (and destructor) are iterative too.
  const json e = json::parse(std::string(100000, '[') + "1" + std::string(100000, ']'));
  const json a = json::parse(std::string(100000, '[') + "2" + std::string(100000, ']'));
  const auto d = diff(e, a);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path.size(), 1 + 3 * 100000u);
}

// -------------------------------------------------------------------------------------------------- render

TEST(render, plain) {
  const std::vector<difference> d = {changed("$.body<json>.total", 3, 4), added("$.headers['X-New']", "yes"),
                                     removed("$.items[2]", json{{"id", 2}, {"tags", {"a", "b"}}}),
                                     type_changed("$.count", 1, "1")};
  EXPECT_EQ(render(d, false),
            "  $.body<json>.total: changed\n"
            "    - 3\n"
            "    + 4\n"
            "  $.headers['X-New']: added\n"
            "    + \"yes\"\n"
            "  $.items[2]: removed\n"
            "    - {\"id\":2,\"tags\":[\"a\",\"b\"]}\n"
            "  $.count: type changed (number \xE2\x86\x92 string)\n"
            "    - 1\n"
            "    + \"1\"\n");
  EXPECT_EQ(render({}, false), "");
  EXPECT_EQ(render({}, true), "");
}

TEST(render, color) {
  const std::vector<difference> d = {changed("$.total", 3, 4.5), added("$.a", nullptr), removed("$.b", false)};
  EXPECT_EQ(render(d, true),
            "  \x1b[1m$.total\x1b[0m: changed\n"
            "    \x1b[31m- 3\x1b[0m\n"
            "    \x1b[32m+ 4.5\x1b[0m\n"
            "  \x1b[1m$.a\x1b[0m: added\n"
            "    \x1b[32m+ null\x1b[0m\n"
            "  \x1b[1m$.b\x1b[0m: removed\n"
            "    \x1b[31m- false\x1b[0m\n");
}

TEST(render, values_are_escaped_compact_json) {
  const std::vector<difference> d = {
      changed("$", "line\nbreak \x1b[31m \"q\"", json::parse(R"({ "b" : [ 1 , 2 ], "a" : {} })"))};
  EXPECT_EQ(render(d, false),
            "  $: changed\n"
            "    - \"line\\nbreak \\u001b[31m \\\"q\\\"\"\n"
            "    + {\"a\":{},\"b\":[1,2]}\n");
}

TEST(render, long_values_are_cut_at_200_bytes) {
  const std::string long_string(300, 'x');
  json long_array = json::array();
  for (int i = 0; i < 1000; ++i) long_array.push_back(i);
  const auto out = render({changed("$", long_string, long_array)}, false);
  const std::string expected_minus = "    - \"" + std::string(199, 'x') + "\xE2\x80\xA6\n";
  std::string array_text = "[";
  for (int i = 0; array_text.size() < 200; ++i) array_text += std::to_string(i) + ",";
  const std::string expected_plus = "    + " + array_text.substr(0, 200) + "\xE2\x80\xA6\n";
  EXPECT_EQ(out, "  $: changed\n" + expected_minus + expected_plus);

  // Exactly 200 bytes is not cut; 201 is.
  EXPECT_EQ(render({added("$", std::string(198, 'y'))}, false),
            "  $: added\n    + \"" + std::string(198, 'y') + "\"\n");
  EXPECT_EQ(render({added("$", std::string(199, 'y'))}, false),
            "  $: added\n    + \"" + std::string(199, 'y') + "\xE2\x80\xA6\n");
}

TEST(render, cuts_on_a_utf8_boundary) {
  std::string s;
  for (int i = 0; i < 150; ++i) s += "\xC3\xA9"; // é, 2 bytes: 300 bytes
  const auto out = render({added("$", s)}, false);
  // '"' + 99 é = 199 bytes: the 100th é would straddle byte 200.
  std::string kept = "\"";
  for (int i = 0; i < 99; ++i) kept += "\xC3\xA9";
  EXPECT_EQ(out, "  $: added\n    + " + kept + "\xE2\x80\xA6\n");
}

TEST(render, max_lines_and_more_differences) {
  std::vector<difference> d;
  for (int i = 0; i < 5; ++i) d.push_back(changed("$[" + std::to_string(i) + "]", i, i + 10));
  EXPECT_EQ(render(d, false, 7),
            "  $[0]: changed\n    - 0\n    + 10\n"
            "  $[1]: changed\n    - 1\n    + 11\n"
            "  \xE2\x80\xA6 3 more differences\n");
  EXPECT_EQ(render(d, false, 14).substr(render(d, false, 14).rfind("  \xE2"), std::string::npos),
            "  \xE2\x80\xA6 1 more difference\n");
  EXPECT_EQ(render(d, false, 15).find("more"), std::string::npos);
  EXPECT_EQ(render(d, false, 0), "  \xE2\x80\xA6 5 more differences\n");
  // A 2-line block fits where a 3-line one does not.
  EXPECT_EQ(render({changed("$.a", 1, 2), added("$.b", 3)}, false, 5),
            "  $.a: changed\n    - 1\n    + 2\n  $.b: added\n    + 3\n");
  // Default: 200 lines.
  std::vector<difference> many(100, added("$.x", 1));
  const auto out = render(many, false);
  EXPECT_EQ(out.find("more"), std::string::npos);
  many.push_back(added("$.x", 1));
  EXPECT_NE(render(many, false).find("  \xE2\x80\xA6 1 more difference\n"), std::string::npos);
}

TEST(to_string, kinds) {
  EXPECT_STREQ(to_string(difference::kind::changed), "changed");
  EXPECT_STREQ(to_string(difference::kind::added), "added");
  EXPECT_STREQ(to_string(difference::kind::removed), "removed");
  EXPECT_STREQ(to_string(difference::kind::type_changed), "type_changed");
}

} // namespace
} // namespace lemu::compare
