// --ignore paths (any text): JSON Pointers and $.a.b[*].c paths, parsed, then matched against a document.
#include <lemu/compare/json_diff.hpp>
#include <lemu/compare/path.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    lemu::compare::diff_options o;
    o.ignore.push_back(lemu::compare::path_pattern::parse(std::string(reinterpret_cast<const char*>(data), size)));
    const auto e = nlohmann::json::parse(R"({"response":{"a":[1,{"b":"x"}],"body":"{\"c\":1}"}})");
    const auto a = nlohmann::json::parse(R"({"response":{"a":[2,{"b":"y"}],"body":"{\"c\":2}"}})");
    (void)lemu::compare::render(lemu::compare::diff(e, a, o), false);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
