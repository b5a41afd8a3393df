#pragma once
// Where a streamed response goes in `lemu serve` (core::response_stream, PROTOCOL.md §1.9, §1.10, §9.3):
// an InvokeWithResponseStream caller, as event stream frames, or a RESPONSE_STREAM front door's client, as
// a chunked HTTP body. Each writes to an http_server streamed answer and passes its backpressure on: the
// runtime's next bytes are read once the last ones are written to the socket (or dropped, the client gone).
// The invoker keeps the object in core::invocation::stream and calls end() when the invocation ends.
// io_context thread only.

#include <lemu/core/invocation.hpp>
#include <lemu/gateway/http_server.hpp>
#include <lemu/gateway/routes.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace lemu::gateway {

// InvokeWithResponseStream's answer: HTTP 200, Content-Type application/vnd.amazon.eventstream and `head`
// (x-amzn-RequestId, X-Amz-Executed-Version), chunked; each data() is one PayloadChunk event (several
// past eventstream::max_chunk_payload), and end() adds the InvokeComplete event and the last chunk.
// Make it with std::make_shared (its callbacks hold it).
class eventstream_answer : public core::response_stream, public std::enable_shared_from_this<eventstream_answer> {
public:
  eventstream_answer(http_server::responder respond, header_list head)
      : m_respond(std::move(respond)), m_head(std::move(head)) {}

  void begin(std::string_view content_type) override;
  void data(std::string_view bytes, std::function<void()> more) override;

  // The invocation ended. A response that was not streamed is sent whole as one PayloadChunk (on success;
  // an error has none), then InvokeComplete: ErrorCode = the outcome's error type and ErrorDetails = its
  // error body when it failed, LogResult = `log_result` when not empty (X-Amz-Log-Type: Tail).
  void end(const core::outcome& o, std::string_view log_result);
  // lemu stopped before the end (a second Ctrl-C): `refusal` when nothing was sent yet, else the connection
  // is closed without InvokeComplete.
  void cancel(http_response refusal);
  bool started() const { return m_writer != nullptr; }

private:
  void start();
  void write_last();

  http_server::responder m_respond;
  header_list m_head;
  std::shared_ptr<response_writer> m_writer;
  bool m_ended = false;
  bool m_pending = false; // a PayloadChunk is being written
  std::string m_last;     // InvokeComplete, waiting for it
};

// The content type with which a function answers a function URL (or a REST API with responseTransferMode
// STREAM) in parts: a JSON prelude, 8 NUL bytes, then the body (PROTOCOL.md §1.10).
inline constexpr std::string_view http_integration_response = "application/vnd.awslambda.http-integration-response";
// At most this many bytes of prelude are read before the 8 NUL bytes; more is a malformed response (502).
inline constexpr std::size_t max_prelude_bytes = 64 * 1024;

// A RESPONSE_STREAM front door's answer. With Content-Type application/vnd.awslambda.http-integration-response
// the prelude gives the status, headers and cookies (map_stream_prelude) and the bytes after it stream as the
// body; any other content type streams as the body of a 200 with that Content-Type. The head goes out with
// the first body bytes (or at a successful end), so an error before them is still a 502; an error after
// them aborts the connection (the client sees an incomplete chunked body). `extra` headers (x-amzn-RequestId)
// are added to the head.
class front_door_stream : public core::response_stream {
public:
  using log_function = std::function<void(const std::string&)>;
  front_door_stream(api_kind kind, http_server::responder respond, header_list extra, log_function log)
      : m_kind(kind), m_respond(std::move(respond)), m_extra(std::move(extra)), m_log(std::move(log)) {}

  void begin(std::string_view content_type) override;
  void data(std::string_view bytes, std::function<void()> more) override;

  // The streamed invocation ended; returns the HTTP status the client got (0: the connection was aborted).
  unsigned end(const core::outcome& o);
  // lemu stopped before the end: `refusal` when nothing was sent yet, else the connection is aborted.
  void cancel(http_response refusal);
  // Whether begin() came (the invocation streams: end() answers, not the buffered mapping).
  bool begun() const { return m_begun; }

private:
  void start(unsigned status, header_list headers);
  void fail(const std::string& why);

  api_kind m_kind;
  http_server::responder m_respond;
  header_list m_extra;
  log_function m_log;
  bool m_begun = false, m_prelude = false, m_failed = false, m_answered = false;
  std::string m_content_type;
  std::string m_head_bytes; // the prelude so far (at most max_prelude_bytes + 8)
  unsigned m_status = 0;
  std::shared_ptr<response_writer> m_writer;
};

} // namespace lemu::gateway
