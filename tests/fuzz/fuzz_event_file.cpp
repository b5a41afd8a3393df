// Event files (any bytes) through the event reader, as a whole-file event and as JSON Lines (with and
// without the tolerance for a cut last line that captures get): validation with positions, the size and
// depth limits, then reading every event back.
#include <lemu/events/source.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void read_all(const std::string& path, const lemu::events::input_options& o) {
  try {
    const auto plan = lemu::events::event_plan::prepare({path}, o);
    lemu::events::event_reader reader(plan);
    std::size_t n = 0;
    while (auto ev = reader.next()) {
      if (ev->oversize == 0 && ev->payload.size() > o.max_event_bytes) std::abort(); // over the limit, yet held
      ++n;
    }
    if (n != plan.total_events()) std::abort(); // validation and reading disagree
  } catch (const lemu::events::input_error&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("lemu-fuzz-event", MFD_CLOEXEC);
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  lemu::events::input_options o;
  o.max_event_bytes = 4096; // small, so that the fuzzer reaches the over-size paths
  read_all(path, o);
  o.lines_only = true;
  read_all(path, o);
  o.tolerate_cut_last_line = true;
  o.max_depth = 1001;
  read_all(path, o);
  return 0;
}
