#pragma once
// One execution environment's side of the Runtime API: the invocation waiting to go out, a parked
// GET /next, the invocation in flight, and the state machine that answers every call (PROTOCOL.md §1, §6.2):
//
//   initializing --/next--> ready --submit+/next--> invoking(id) --/response|/error--> ready ...
//                 --/init/error--> (init_error reported)            any --close()--> closed
//
// Threading: every member is called from the one thread that runs the io_context (sessions, timers and
// the environment all live there), so the broker holds no lock.

#include <lemu/core/invocation.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::runtime_api {

using clock = std::chrono::steady_clock;

// An invocation on its way out through GET /next.
struct delivery {
  // Shared with the broker: the session keeps the payload alive until its write is done, even when the
  // invocation completes (or times out) while the event is still being written.
  std::shared_ptr<const core::invocation> inv;
  std::int64_t deadline_ms = 0; // Lambda-Runtime-Deadline-Ms: epoch ms at delivery + timeout
};

// The HTTP answer to a runtime's call: status and JSON body (with Go's trailing newline, as RIE sends).
struct reply {
  unsigned status = 202;
  std::string body;
};

class broker {
public:
  enum class state { initializing, ready, invoking, closed };

  // What the environment hears from the broker. All optional.
  struct callbacks {
    std::function<void(clock::time_point)> init_done;                  // first GET /next
    std::function<void(clock::time_point)> delivered;                  // the invocation went out
    std::function<void(core::outcome, clock::time_point)> completed;   // /response, /error, or too large
    std::function<void(core::outcome)> init_error;                     // /init/error during init
    // A streamed /response (PROTOCOL.md §1.9) of the invocation in flight: it began (with its Content-Type),
    // a piece of its body came (false: the environment cannot take it, the stream is too large), and the
    // runtime's connection ended before the stream did. The stream's end is `completed`.
    std::function<void(std::string_view content_type, clock::time_point)> stream_began;
    std::function<bool(std::string_view bytes, std::function<void()> more)> stream_data;
    std::function<void()> stream_cut;
  };

  // Called once by the broker for a parked GET /next: with the delivery, or with inv == nullptr when
  // the broker closes.
  using next_waiter = std::function<void(delivery)>;

  explicit broker(callbacks c, std::uint64_t max_stream_bytes = 200ull << 20)
      : m_callbacks(std::move(c)), m_max_stream_bytes(max_stream_bytes) {}

  state current_state() const { return m_state; }
  bool has_parked_next() const { return static_cast<bool>(m_waiter); }

  // Queues the invocation to run next (one at a time: the environment submits after completion).
  void submit(core::invocation inv);

  // GET /next. Returns the delivery to send now; or nothing, with the waiter parked until submit();
  // or a refusal in `refused` (403 when an invocation is in flight or the broker is closed).
  std::optional<delivery> next(next_waiter waiter, std::optional<reply>& refused);

  // The session could not write a delivery (connection gone): put the invocation back for the next GET /next.
  void delivery_failed(std::string_view request_id);
  // The connection of the parked GET /next went away: forget its waiter (without calling it).
  void cancel_next() { m_waiter = nullptr; }

  // POST /invocation/{id}/response, /invocation/{id}/error and /init/error. body_bytes is the full size of
  // the body received or announced (the body itself is capped at core::max_response_bytes). A body over
  // that limit gets 413 and the invocation ends as Function.ResponseSizeTooLarge: an error payload is
  // returned to the Invoke caller like a response and has the same limit (for /init/error that ends the
  // init, with the same outcome).
  reply response(std::string_view request_id, std::string body, std::string content_type, std::uint64_t body_bytes);
  reply error(std::string_view request_id, std::string body, std::string_view error_type_header, std::uint64_t body_bytes);
  reply init_error(std::string body, std::string_view error_type_header, std::uint64_t body_bytes);

  // A streamed /response of `request_id`: the runtime's head came (a refusal, as for response(), when it is
  // not the invocation in flight), then its body in pieces, then its end with the error trailers (both ""
  // for a stream that ended well; the body is base64 of the error JSON). stream_data() answers 413 and ends
  // the invocation as Function.ResponseSizeTooLarge once the stream passes max_stream_bytes or the
  // environment refuses it; stream_cut(): the connection ended before the stream did.
  std::optional<reply> stream_begin(std::string_view request_id, std::string_view content_type);
  std::optional<reply> stream_data(std::string_view request_id, std::string_view bytes, std::function<void()> more);
  reply stream_end(std::string_view request_id, std::string_view error_type, std::string_view error_body);
  void stream_cut(std::string_view request_id);
  std::uint64_t max_stream_bytes() const { return m_max_stream_bytes; }

  // The environment is going away: a parked /next is released and every later call is refused.
  void close();

private:
  delivery deliver();
  // 400 or 403 for a response/error that does not belong to the invocation in flight; nullopt if it does.
  std::optional<reply> check_request_id(std::string_view request_id) const;
  void complete(core::outcome o);

  callbacks m_callbacks;
  state m_state = state::initializing;
  std::shared_ptr<core::invocation> m_pending; // submitted, not yet delivered
  std::shared_ptr<core::invocation> m_current; // delivered, not yet answered
  std::string m_last_request_id;              // the last completed invocation
  next_waiter m_waiter;
  std::uint64_t m_max_stream_bytes;
  bool m_streaming = false;                   // the invocation in flight is streaming its response
  std::uint64_t m_streamed_bytes = 0;
};

// The fixed bodies the Runtime API answers with (PROTOCOL.md §1.3, §1.6).
namespace replies {
reply accepted();              // 202 {"status":"OK"}
reply invalid_request_id();    // 400 InvalidRequestID
reply invalid_state(std::string_view from, std::string_view to); // 403 InvalidStateTransition
reply too_large();             // 413 RequestEntityTooLarge
reply stream_too_large(std::uint64_t limit); // 413 RequestEntityTooLarge, for a streamed response
reply not_found();             // 404
reply method_not_allowed();    // 405
reply bad_request(std::string_view message); // 400 for malformed HTTP
} // namespace replies

} // namespace lemu::runtime_api
