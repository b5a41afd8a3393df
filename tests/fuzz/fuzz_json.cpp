// JSON text (any bytes) through lemu's one set of JSON rules: what check_json accepts, the exact parser
// must parse, the minifier must keep valid, and a diff of the value with itself must be empty; what it
// refuses, it must refuse at an offset inside the text.
#include <lemu/compare/exact_json.hpp>
#include <lemu/compare/json_diff.hpp>
#include <lemu/util/json_text.hpp>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto problem = lemu::util::check_json(text);
  if (problem) {
    if (problem->offset > size) std::abort();
    if (lemu::util::is_valid_json(text)) std::abort();
    return 0;
  }
  const auto doc = lemu::compare::parse_exact(text);
  if (!doc) std::abort();
  const std::string compact = lemu::util::minify_json(text);
  if (!lemu::util::is_valid_json(compact)) std::abort();
  if (!lemu::compare::diff(*doc, *lemu::compare::parse_exact(compact)).empty()) std::abort();
  return 0;
}
