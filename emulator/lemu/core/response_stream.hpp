#pragma once
// A streamed response (PROTOCOL.md §1.9, §9.3) on its way from the runtime to whoever invoked: lemu serve's
// InvokeWithResponseStream client or a RESPONSE_STREAM front door, lemu run's stdout.
//
// The invoker puts a response_stream in the invocation (core::invocation::stream). When the runtime posts
// /response with `Lambda-Runtime-Function-Response-Mode: streaming`, the environment calls begin() once,
// then data() for each piece of the body as it arrives, in order, and finally ends the invocation as usual:
// its outcome says how the stream ended (success; function_error from the error trailers; timeout,
// runtime_exit, too_large, ... when it was cut) and has `streamed` set. The body is never kept whole.
//
// Backpressure: after data(), the runtime's next bytes are read only once `more` was called. The stream
// calls it exactly once, at once or later (a client that went away: drop the bytes and call it at once).
// `more` may be called after the invocation ended; it then does nothing.
//
// Without a response_stream (a plain Invoke, lemu run without --stream... see each caller), a streamed
// response is gathered by the environment like a buffered one, with the buffered limit (6291556 bytes).
//
// Threading: every call is made on the io_context's thread.

#include <cstdint>
#include <functional>
#include <string_view>

namespace lemu::core {

class response_stream {
public:
  virtual ~response_stream() = default;
  // The runtime began streaming; `content_type` as it sent it (application/octet-stream when it sent none).
  virtual void begin(std::string_view content_type) = 0;
  // The next bytes of the body (never empty), valid during the call only: a stream that writes them later
  // keeps its own copy.
  virtual void data(std::string_view bytes, std::function<void()> more) = 0;
};

// Lambda's limits on a streamed response, as lemu models them (configurable: --stream-max-bytes,
// --stream-rate). The first burst_bytes are read as fast as the runtime writes them, the rest at most at
// rate_bytes_per_second (0: no cap). A stream beyond max_bytes is cut: Function.ResponseSizeTooLarge.
struct stream_limits {
  std::uint64_t max_bytes = 200ull * 1024 * 1024;            // 200 MiB
  std::uint64_t burst_bytes = 6ull * 1024 * 1024;            // 6 MiB uncapped
  std::uint64_t rate_bytes_per_second = 2ull * 1024 * 1024;  // then 2 MiB/s
};

// How the function answers behind a function URL (--invoke-mode; Lambda's FunctionUrlConfig.InvokeMode).
enum class invoke_mode { buffered, response_stream };

} // namespace lemu::core
