// Capture lines (any bytes), as lemu replay reads them: checked as JSON first (as the event reader does),
// then parsed against the schema, compared with outcomes and rewritten as --update does. A rewritten line
// must itself be a valid capture line.
#include <lemu/app/capture.hpp>
#include <lemu/util/json_text.hpp>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (lemu::util::check_json(line, lemu::util::max_json_depth + 1)) return 0;
  try {
    const lemu::app::capture_entry e = lemu::app::parse_capture_line(line);
    const lemu::core::outcome same{e.side == "error" ? lemu::core::outcome_kind::function_error : lemu::core::outcome_kind::success,
                                   e.expected, "application/json", {}};
    (void)lemu::app::compare_outcome(e, same, {});
    const lemu::core::outcome bytes{lemu::core::outcome_kind::success, std::string(line.substr(0, 64)), {}, {}};
    const std::string rewritten = lemu::app::updated_capture_line(e, bytes, lemu::app::capture_meta{{}, {}, "t", "success", 1});
    if (!lemu::util::is_valid_json(rewritten)) std::abort();
    (void)lemu::app::parse_capture_line(rewritten);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
