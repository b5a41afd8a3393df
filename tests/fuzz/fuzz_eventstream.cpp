// Event stream bytes (any, in two pieces) through the decoder; what decodes must encode back to the same
// bytes (lemu's encoder writes string headers only, so messages with other header types are skipped).
#include <lemu/gateway/eventstream.hpp>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace es = lemu::gateway::eventstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  es::decoder d;
  const std::size_t cut = size / 2;
  d.feed(bytes.substr(0, cut));
  d.feed(bytes.substr(cut));
  std::size_t taken = 0;
  while (auto m = d.next()) {
    if (m->payload.size() > es::max_message_bytes) std::abort();
    std::string again;
    try {
      es::append_message(again, m->headers, m->payload);
    } catch (const std::invalid_argument&) {
      continue; // a header value past what lemu writes
    }
    es::decoder check;
    check.feed(again);
    const auto back = check.next();
    if (!back || back->payload != m->payload || back->headers != m->headers) std::abort();
    ++taken;
  }
  if (d.buffered() > size) std::abort();
  (void)taken;
  return 0;
}
