#pragma once
// The events lemu ships (events/ in the source tree, <prefix>/share/lemu/events once installed), and
// `--event NAME` for one of them.

#include <filesystem>
#include <string>

namespace lemu::events {

// The folder of the bundled events: $LEMU_EVENTS_DIR, else <prefix>/share/lemu/events beside an installed
// lemu (found from /proc/self/exe, else argv0), else `source_tree` (a build that was not installed).
std::filesystem::path bundled_events_dir(const char* argv0, const std::filesystem::path& source_tree);

// `--event NAME` for a bundled event: a spec that is not an existing path or "-", but a name like `sqs` or
// `sqs/batch`, becomes <events>/NAME.json or the folder <events>/NAME. Anything else is left as it is.
std::string resolve_event_spec(const std::string& spec, const std::filesystem::path& events_dir);

} // namespace lemu::events
