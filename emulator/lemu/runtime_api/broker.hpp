#pragma once
// One execution environment's side of the Runtime API: the invocations waiting to go out, the parked
// GET /next calls, the invocations in flight, and the state machine that answers every call (PROTOCOL.md
// §1, §6.2):
//
//   initializing --/next--> ready --submit+/next--> invoking(id) --/response|/error--> ready ...
//                 --/init/error--> (init_error reported)            any --close()--> closed
//
// With max_concurrency N > 1 (Lambda Managed Instances, PROTOCOL.md §9.1) up to N invocations are in flight
// at once, each handed to its own GET /next and answered by id; a GET /next beyond N (in flight plus
// parked) is refused as a second one is in the classic mode. Such a GET /next is held a moment first
// (provisional): a runtime may send its answer on one connection and its next GET /next on another at once
// (aws-lambda-ric does, after a streamed response), and the GET /next can be read first; when the answer
// frees the place, the GET /next is parked as usual, else (refuse_if_provisional) it is refused. An
// invocation the environment gave up on
// (forget(): its timeout passed) may still be answered by its runtime worker: that answer is accepted and
// dropped.
//
// Threading: every member is called from the one thread that runs the io_context (sessions, timers and
// the environment all live there), so the broker holds no lock.

#include <lemu/core/invocation.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
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
    std::function<void(clock::time_point)> init_done;                                   // first GET /next
    std::function<void(std::string_view id, clock::time_point)> delivered;              // it went out
    std::function<void(std::string_view id, core::outcome, clock::time_point)> completed; // /response, /error, too large
    std::function<void(core::outcome)> init_error;                                      // /init/error during init
    std::function<void(std::string_view id)> late_answer;  // a forgotten invocation's worker answered it
    // A streamed /response (PROTOCOL.md §1.9) of the invocation in flight: it began (with its Content-Type),
    // a piece of its body came (false: the environment cannot take it, the stream is too large), and the
    // runtime's connection ended before the stream did. The stream's end is `completed`.
    std::function<void(std::string_view id, std::string_view content_type, clock::time_point)> stream_began;
    std::function<bool(std::string_view id, std::string_view bytes, std::function<void()> more)> stream_data;
    std::function<void(std::string_view id)> stream_cut;
  };

  // Called once by the broker for a parked GET /next: with the delivery, or with inv == nullptr when
  // the broker closes.
  using next_waiter = std::function<void(delivery)>;

  explicit broker(callbacks c, std::uint64_t max_stream_bytes = 200ull << 20, std::uint32_t max_concurrency = 1)
      : m_callbacks(std::move(c)), m_max_stream_bytes(max_stream_bytes), m_max_concurrency(max_concurrency) {}

  state current_state() const { return m_state; }
  bool has_parked_next() const { return !m_waiters.empty(); }
  std::size_t parked() const { return m_waiters.size(); }
  std::size_t in_flight() const { return m_current.size(); }

  // Queues the invocation; it goes out with the next GET /next (at once when one is parked).
  void submit(core::invocation inv);

  // GET /next. Returns the delivery to send now; or nothing, with the waiter parked until submit() (its
  // ticket in `ticket`, for cancel_next); or a refusal in `refused` (403 when max_concurrency invocations
  // are in flight or parked, or the broker is closed).
  // When every place is taken by invocations in flight (not by parked calls), the waiter is held
  // provisionally instead (`provisional` set, when given): it becomes a parked waiter when an answer frees a
  // place, until refuse_if_provisional(ticket) refuses it.
  std::optional<delivery> next(next_waiter waiter, std::optional<reply>& refused, std::uint64_t* ticket = nullptr,
                               bool* provisional = nullptr);
  // The held GET /next's time is up: its refusal when it is still held (it is dropped), else nothing.
  std::optional<reply> refuse_if_provisional(std::uint64_t ticket);

  // The session could not write a delivery (connection gone): put the invocation back for the next GET /next.
  void delivery_failed(std::string_view request_id);
  // The connection of a parked GET /next went away: forget its waiter (without calling it).
  void cancel_next(std::uint64_t ticket);
  // The environment ended this invocation itself (its timeout passed) and lives on: a later answer for it
  // is accepted and dropped (late_answer), and an invocation not yet delivered is withdrawn.
  void forget(std::string_view request_id);

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
  // One invocation delivered and not yet answered.
  struct flight {
    std::shared_ptr<core::invocation> inv;
    bool streaming = false; // its response is being streamed
    std::uint64_t streamed_bytes = 0;
  };
  delivery deliver();
  // Held GET /next calls that now have a place become parked ones; parked ones get what is pending.
  void dispatch();
  // 400 or 403 for a response/error that does not belong to an invocation in flight; nullopt if it does.
  std::optional<reply> check_request_id(std::string_view request_id) const;
  // A forgotten invocation's answer: accepted and dropped (true), after telling the environment.
  bool late(std::string_view request_id);
  void complete(std::string_view request_id, core::outcome o);
  flight* find(std::string_view request_id);

  callbacks m_callbacks;
  state m_state = state::initializing;
  std::deque<std::shared_ptr<core::invocation>> m_pending; // submitted, not yet delivered
  std::map<std::string, flight, std::less<>> m_current;   // delivered, not yet answered
  std::set<std::string, std::less<>> m_forgotten;         // given up on by the environment, not yet answered
  std::list<std::pair<std::uint64_t, next_waiter>> m_waiters; // parked GET /next calls, oldest first
  std::list<std::pair<std::uint64_t, next_waiter>> m_provisional; // held GET /next calls, oldest first
  std::uint64_t m_next_ticket = 1;
  std::uint64_t m_max_stream_bytes;
  std::uint32_t m_max_concurrency;
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
