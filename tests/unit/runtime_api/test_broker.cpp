// The broker's state machine without sockets (PROTOCOL.md §1.2–1.6): submit before/after /next, refusals
// with RIE's exact bodies, the 413 limit, delivery_failed, close(), and what the listener hears.
#include <lemu/core/errors.hpp>
#include <lemu/runtime_api/broker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lemu::runtime_api {
namespace {

using namespace std::chrono_literals;

const std::string accepted_body = "{\"status\":\"OK\"}\n";
const std::string invalid_id_body = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n";
const std::string too_large_body =
    "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n";

std::string invalid_state_body(const std::string& from, const std::string& to) {
  return "{\"errorType\":\"InvalidStateTransition\",\"errorMessage\":\"State transition from " + from + " to " + to +
         " failed for runtime. Error: State transition is not allowed\"}\n";
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::invocation make_invocation(const std::string& id, std::chrono::nanoseconds timeout = 3s) {
  core::invocation inv;
  inv.request_id = id;
  inv.payload = "{\"id\":\"" + id + "\"}";
  inv.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
  inv.trace_id = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
  inv.timeout = timeout;
  return inv;
}

// Everything the listener hears, in order.
struct recorder {
  std::vector<std::string> events;
  std::vector<core::outcome> completed;
  std::vector<core::outcome> init_errors;

  broker::callbacks listener() {
    broker::callbacks l;
    l.init_done = [this](clock::time_point) { events.push_back("init_done"); };
    l.delivered = [this](std::string_view, clock::time_point) { events.push_back("delivered"); };
    l.completed = [this](std::string_view, core::outcome o, clock::time_point) {
      events.push_back("completed");
      completed.push_back(std::move(o));
    };
    l.init_error = [this](core::outcome o) {
      events.push_back("init_error");
      init_errors.push_back(std::move(o));
    };
    return l;
  }
};

// A parked GET /next: remembers what the broker handed it.
struct waiter_probe {
  int calls = 0;
  std::optional<delivery> got;
  std::string request_id; // copied at once: the invocation lives in the broker

  broker::next_waiter make() {
    return [this](delivery d) {
      ++calls;
      got = d;
      if (d.inv) request_id = d.inv->request_id;
    };
  }
};

class broker_test : public ::testing::Test {
protected:
  recorder rec;
  broker b{rec.listener()};

  // GET /next that must park.
  void park(waiter_probe& w) {
    std::optional<reply> refused;
    const auto now = b.next(w.make(), refused);
    ASSERT_FALSE(refused.has_value()) << refused->body;
    ASSERT_FALSE(now.has_value());
    ASSERT_TRUE(b.has_parked_next());
  }

  // GET /next that must deliver at once; returns the request id delivered.
  std::string next_now() {
    std::optional<reply> refused;
    waiter_probe unused;
    const auto now = b.next(unused.make(), refused);
    EXPECT_FALSE(refused.has_value()) << (refused ? refused->body : "");
    EXPECT_TRUE(now.has_value());
    EXPECT_FALSE(b.has_parked_next());
    EXPECT_EQ(unused.calls, 0);
    return now && now->inv ? now->inv->request_id : std::string();
  }

  // GET /next that must be refused; returns the refusal.
  reply next_refused() {
    std::optional<reply> refused;
    waiter_probe w;
    const auto now = b.next(w.make(), refused);
    EXPECT_FALSE(now.has_value());
    EXPECT_TRUE(refused.has_value());
    EXPECT_EQ(w.calls, 0);
    return refused.value_or(reply{0, {}});
  }
};

TEST_F(broker_test, starts_initializing_with_nothing_parked) {
  EXPECT_EQ(b.current_state(), broker::state::initializing);
  EXPECT_FALSE(b.has_parked_next());
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(broker_test, first_next_ends_init_and_parks) {
  waiter_probe w;
  park(w);
  EXPECT_EQ(b.current_state(), broker::state::ready);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"init_done"}));
  EXPECT_EQ(w.calls, 0);
}

TEST_F(broker_test, submit_after_next_wakes_the_parked_waiter) {
  waiter_probe w;
  park(w);
  const auto before = epoch_ms();
  b.submit(make_invocation("id-1", 3s));
  const auto after = epoch_ms();

  ASSERT_EQ(w.calls, 1);
  ASSERT_TRUE(w.got && w.got->inv);
  EXPECT_EQ(w.got->inv->request_id, "id-1");
  EXPECT_EQ(w.got->inv->payload, "{\"id\":\"id-1\"}");
  EXPECT_EQ(w.got->inv->function_arn, "arn:aws:lambda:us-east-1:123456789012:function:fn");
  EXPECT_GE(w.got->deadline_ms, before + 3000);
  EXPECT_LE(w.got->deadline_ms, after + 3000);
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  EXPECT_FALSE(b.has_parked_next());
  EXPECT_EQ(rec.events, (std::vector<std::string>{"init_done", "delivered"}));
}

TEST_F(broker_test, submit_before_first_next_is_delivered_by_it) {
  b.submit(make_invocation("early"));
  EXPECT_EQ(b.current_state(), broker::state::initializing);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(next_now(), "early");
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"init_done", "delivered"}));
}

TEST_F(broker_test, deadline_is_epoch_ms_at_delivery_plus_timeout) {
  b.submit(make_invocation("d", 900ms));
  std::optional<reply> refused;
  waiter_probe w;
  const auto before = epoch_ms();
  const auto d = b.next(w.make(), refused);
  const auto after = epoch_ms();
  ASSERT_TRUE(d.has_value());
  EXPECT_GE(d->deadline_ms, before + 900);
  EXPECT_LE(d->deadline_ms, after + 900);
}

TEST_F(broker_test, submit_while_ready_without_waiter_waits_for_next) {
  waiter_probe w;
  park(w);
  b.submit(make_invocation("a"));
  ASSERT_EQ(b.response("a", "r", "text/plain", 1).status, 202u);
  EXPECT_EQ(b.current_state(), broker::state::ready);
  b.submit(make_invocation("b"));
  EXPECT_EQ(b.current_state(), broker::state::ready); // nobody asked yet
  EXPECT_EQ(next_now(), "b");
  EXPECT_EQ(b.current_state(), broker::state::invoking);
}

TEST_F(broker_test, next_while_invoking_is_403) {
  b.submit(make_invocation("x"));
  next_now();
  const reply r = next_refused();
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, invalid_state_body("Running", "Ready"));
  EXPECT_FALSE(b.has_parked_next());
  EXPECT_EQ(b.current_state(), broker::state::invoking);
}

TEST_F(broker_test, second_parked_next_is_403_and_the_first_still_delivers) {
  waiter_probe first;
  park(first);
  const reply r = next_refused();
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, invalid_state_body("Ready", "Ready"));
  EXPECT_TRUE(b.has_parked_next());
  b.submit(make_invocation("one"));
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(first.request_id, "one");
}

TEST_F(broker_test, response_completes_with_body_and_content_type) {
  b.submit(make_invocation("id-1"));
  next_now();
  const reply r = b.response("id-1", "{\"ok\":true}", "application/vnd.custom", 11);
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  ASSERT_EQ(rec.completed.size(), 1u);
  EXPECT_EQ(rec.completed[0].kind, core::outcome_kind::success);
  EXPECT_TRUE(rec.completed[0].ok());
  EXPECT_EQ(rec.completed[0].payload, "{\"ok\":true}");
  EXPECT_EQ(rec.completed[0].content_type, "application/vnd.custom");
  EXPECT_EQ(rec.completed[0].error_type, "");
  EXPECT_EQ(b.current_state(), broker::state::ready);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"init_done", "delivered", "completed"}));
}

TEST_F(broker_test, second_response_for_answered_id_is_400) {
  b.submit(make_invocation("id-1"));
  next_now();
  ASSERT_EQ(b.response("id-1", "a", "", 1).status, 202u);
  const reply r = b.response("id-1", "b", "", 1);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, invalid_id_body);
  const reply e = b.error("id-1", "{}", "", 2);
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.body, invalid_id_body);
  EXPECT_EQ(rec.completed.size(), 1u);
}

TEST_F(broker_test, response_for_unknown_id_is_400_and_leaves_the_invocation_in_flight) {
  b.submit(make_invocation("id-1"));
  next_now();
  const reply r = b.response("other", "x", "", 1);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, invalid_id_body);
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  EXPECT_TRUE(rec.completed.empty());
  EXPECT_EQ(b.response("id-1", "y", "", 1).status, 202u);
  ASSERT_EQ(rec.completed.size(), 1u);
  EXPECT_EQ(rec.completed[0].payload, "y");
}

TEST_F(broker_test, response_with_no_invocation_in_flight_is_400) {
  waiter_probe w;
  park(w);
  const reply r = b.response("nobody", "x", "", 1);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, invalid_id_body);
  EXPECT_TRUE(b.has_parked_next());
}

TEST_F(broker_test, response_and_error_during_init_are_403) {
  b.submit(make_invocation("id-1")); // queued, not delivered: the runtime has not asked yet
  const reply r = b.response("id-1", "x", "", 1);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, invalid_state_body("Initializing", "ResponseSent"));
  const reply e = b.error("id-1", "{}", "", 2);
  EXPECT_EQ(e.status, 403u);
  EXPECT_EQ(e.body, invalid_state_body("Initializing", "ResponseSent"));
  EXPECT_EQ(b.current_state(), broker::state::initializing);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(next_now(), "id-1"); // still queued
}

TEST_F(broker_test, response_over_the_limit_is_413_and_completes_too_large) {
  b.submit(make_invocation("big"));
  next_now();
  const reply r = b.response("big", std::string(100, 'x'), "application/json", core::max_response_bytes + 1);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.body, too_large_body);
  ASSERT_EQ(rec.completed.size(), 1u);
  const core::outcome expected = core::response_too_large_outcome();
  EXPECT_EQ(rec.completed[0].kind, core::outcome_kind::too_large);
  EXPECT_EQ(rec.completed[0].error_type, "Function.ResponseSizeTooLarge");
  EXPECT_EQ(rec.completed[0].payload, expected.payload);
  EXPECT_EQ(rec.completed[0].payload,
            "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (6291556 bytes).\","
            "\"errorType\":\"Function.ResponseSizeTooLarge\"}");
  EXPECT_EQ(rec.completed[0].content_type, "application/json");
  EXPECT_EQ(b.current_state(), broker::state::ready);
  // The invocation is over: a retry with the same id is refused.
  EXPECT_EQ(b.response("big", "x", "", 1).status, 400u);
}

TEST_F(broker_test, response_at_the_limit_is_accepted) {
  b.submit(make_invocation("edge"));
  next_now();
  std::string body(core::max_response_bytes, 'a');
  const reply r = b.response("edge", body, "application/octet-stream", body.size());
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  ASSERT_EQ(rec.completed.size(), 1u);
  EXPECT_EQ(rec.completed[0].kind, core::outcome_kind::success);
  EXPECT_EQ(rec.completed[0].payload.size(), 6291556u);
}

TEST_F(broker_test, error_takes_the_type_from_the_body) {
  b.submit(make_invocation("e"));
  next_now();
  const std::string body = "{\"errorMessage\":\"boom\",\"errorType\":\"MyError\",\"stackTrace\":[]}";
  const reply r = b.error("e", body, "Runtime.FromHeader", body.size());
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  ASSERT_EQ(rec.completed.size(), 1u);
  EXPECT_EQ(rec.completed[0].kind, core::outcome_kind::function_error);
  EXPECT_FALSE(rec.completed[0].ok());
  EXPECT_EQ(rec.completed[0].payload, body);
  EXPECT_EQ(rec.completed[0].error_type, "MyError");
  EXPECT_EQ(rec.completed[0].content_type, "application/json");
  EXPECT_EQ(b.current_state(), broker::state::ready);
}

TEST_F(broker_test, error_type_falls_back_to_the_header_then_unhandled) {
  b.submit(make_invocation("e1"));
  next_now();
  ASSERT_EQ(b.error("e1", "{\"errorMessage\":\"no type\"}", "Runtime.Custom", 26).status, 202u);
  b.submit(make_invocation("e2"));
  next_now();
  ASSERT_EQ(b.error("e2", "not json at all", "", 15).status, 202u);
  ASSERT_EQ(rec.completed.size(), 2u);
  EXPECT_EQ(rec.completed[0].error_type, "Runtime.Custom");
  EXPECT_EQ(rec.completed[0].payload, "{\"errorMessage\":\"no type\"}");
  EXPECT_EQ(rec.completed[1].error_type, "Unhandled");
  EXPECT_EQ(rec.completed[1].payload, "not json at all");
  EXPECT_EQ(rec.completed[1].content_type, "application/octet-stream");
}

TEST_F(broker_test, error_for_unknown_id_is_400) {
  b.submit(make_invocation("e"));
  next_now();
  const reply r = b.error("zzz", "{}", "", 2);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, invalid_id_body);
  EXPECT_EQ(b.current_state(), broker::state::invoking);
}

TEST_F(broker_test, init_error_during_init_is_202_and_reported) {
  const std::string body = "{\"errorType\":\"Runtime.ImportModuleError\",\"errorMessage\":\"x\",\"trace\":[]}";
  const reply r = b.init_error(body, "Runtime.ImportModuleError", body.size());
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  ASSERT_EQ(rec.init_errors.size(), 1u);
  EXPECT_EQ(rec.init_errors[0].kind, core::outcome_kind::init_error);
  EXPECT_EQ(rec.init_errors[0].payload, body);
  EXPECT_EQ(rec.init_errors[0].error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"init_error"}));
}

TEST_F(broker_test, init_error_type_from_header_when_body_has_none) {
  ASSERT_EQ(b.init_error("", "Runtime.Crash", 0).status, 202u);
  ASSERT_EQ(rec.init_errors.size(), 1u);
  EXPECT_EQ(rec.init_errors[0].error_type, "Runtime.Crash");
  EXPECT_EQ(rec.init_errors[0].payload, "");
}

TEST_F(broker_test, init_error_after_init_is_403) {
  waiter_probe w;
  park(w);
  reply r = b.init_error("{}", "", 2);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, invalid_state_body("Ready", "InitError"));
  b.submit(make_invocation("i"));
  r = b.init_error("{}", "", 2);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, invalid_state_body("Running", "InitError"));
  EXPECT_TRUE(rec.init_errors.empty());
}

TEST_F(broker_test, delivery_failed_requeues_for_the_next_get) {
  waiter_probe w;
  park(w);
  b.submit(make_invocation("lost"));
  ASSERT_EQ(w.request_id, "lost");
  b.delivery_failed("lost");
  EXPECT_EQ(b.current_state(), broker::state::ready);
  EXPECT_FALSE(b.has_parked_next());
  // The answer for it is not accepted until it has gone out again.
  EXPECT_EQ(b.response("lost", "x", "", 1).status, 400u);
  EXPECT_EQ(next_now(), "lost");
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  EXPECT_EQ(b.response("lost", "x", "", 1).status, 202u);
  ASSERT_EQ(rec.completed.size(), 1u);
}

TEST_F(broker_test, delivery_failed_requeues_to_a_parked_waiter_on_next_get_only) {
  b.submit(make_invocation("lost"));
  next_now();
  b.delivery_failed("lost");
  waiter_probe w;
  std::optional<reply> refused;
  const auto now = b.next(w.make(), refused);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->inv->request_id, "lost");
  EXPECT_EQ(now->inv->payload, "{\"id\":\"lost\"}");
}

TEST_F(broker_test, delivery_failed_for_another_id_or_after_completion_is_ignored) {
  b.submit(make_invocation("a"));
  next_now();
  b.delivery_failed("b");
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  ASSERT_EQ(b.response("a", "x", "", 1).status, 202u);
  b.delivery_failed("a");
  EXPECT_EQ(b.current_state(), broker::state::ready);
  waiter_probe w;
  park(w); // nothing was requeued
  EXPECT_EQ(w.calls, 0);
}

TEST_F(broker_test, close_releases_the_parked_waiter_with_no_invocation) {
  waiter_probe w;
  park(w);
  b.close();
  EXPECT_EQ(w.calls, 1);
  ASSERT_TRUE(w.got.has_value());
  EXPECT_EQ(w.got->inv, nullptr);
  EXPECT_FALSE(b.has_parked_next());
  EXPECT_EQ(b.current_state(), broker::state::closed);
}

TEST_F(broker_test, close_without_waiter_and_twice_is_harmless) {
  b.close();
  b.close();
  EXPECT_EQ(b.current_state(), broker::state::closed);
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(broker_test, everything_after_close_is_refused_and_the_listener_hears_nothing) {
  waiter_probe w;
  park(w);
  b.submit(make_invocation("in-flight"));
  ASSERT_EQ(w.calls, 1);
  const auto heard = rec.events;
  b.close();

  const reply n = next_refused();
  EXPECT_EQ(n.status, 403u);
  EXPECT_EQ(n.body, invalid_state_body("Closed", "Ready"));
  const reply r = b.response("in-flight", "x", "", 1);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, invalid_id_body);
  const reply e = b.error("in-flight", "{}", "", 2);
  EXPECT_EQ(e.status, 400u);
  const reply i = b.init_error("{}", "", 2);
  EXPECT_EQ(i.status, 403u);
  EXPECT_EQ(i.body, invalid_state_body("Closed", "InitError"));
  b.submit(make_invocation("late"));
  b.delivery_failed("in-flight");

  EXPECT_EQ(b.current_state(), broker::state::closed);
  EXPECT_FALSE(b.has_parked_next());
  EXPECT_EQ(rec.events, heard);
  EXPECT_TRUE(rec.completed.empty());
}

TEST_F(broker_test, close_during_init_refuses_init_error_and_next) {
  b.submit(make_invocation("queued"));
  b.close();
  EXPECT_EQ(b.init_error("{}", "", 2).status, 403u);
  EXPECT_EQ(next_refused().status, 403u);
  EXPECT_TRUE(rec.events.empty());
}

// The environment stops the server (and so closes the broker) from inside its listener: on /init/error
// (execution_environment::on_init_error -> die() -> server::stop()), and the broker expects init_done to
// do it too ("the listener closed us"). The callback that is running must stay alive until it returns.
// Only globals are touched after close() inside the callbacks, so the tests read no freed memory.
bool g_capture_destroyed = false;
bool g_destroyed_during_call = false;

struct capture_guard {
  bool armed = true;
  capture_guard() = default;
  capture_guard(const capture_guard&) = default;
  capture_guard(capture_guard&& o) noexcept : armed(o.armed) { o.armed = false; }
  capture_guard& operator=(const capture_guard&) = default;
  capture_guard& operator=(capture_guard&&) = default;
  ~capture_guard() {
    if (armed) g_capture_destroyed = true;
  }
};

// Closes `b` from inside a callback and records whether the callback's own captures died meanwhile.
void close_from_callback(broker& b) {
  g_capture_destroyed = false;
  b.close();
  g_destroyed_during_call = g_capture_destroyed;
}

TEST(broker_reentrancy, listener_may_close_the_broker_from_init_error) {
  std::unique_ptr<broker> b;
  broker::callbacks l;
  l.init_error = [guard = capture_guard{}, &b](core::outcome) { close_from_callback(*b); };
  b = std::make_unique<broker>(std::move(l));
  g_destroyed_during_call = false;
  const reply r = b->init_error("{}", "", 2);
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  EXPECT_EQ(b->current_state(), broker::state::closed);
  EXPECT_FALSE(g_destroyed_during_call) << "broker::close() destroyed the listener callback while it was running";
}

TEST(broker_reentrancy, listener_may_close_the_broker_from_init_done) {
  std::unique_ptr<broker> b;
  broker::callbacks l;
  l.init_done = [guard = capture_guard{}, &b](clock::time_point) { close_from_callback(*b); };
  b = std::make_unique<broker>(std::move(l));
  g_destroyed_during_call = false;
  std::optional<reply> refused;
  bool waiter_called = false;
  const auto now = b->next([&](delivery) { waiter_called = true; }, refused);
  EXPECT_FALSE(now.has_value());
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403u);
  EXPECT_EQ(refused->body, invalid_state_body("Closed", "Ready"));
  EXPECT_FALSE(waiter_called);
  EXPECT_FALSE(b->has_parked_next());
  EXPECT_FALSE(g_destroyed_during_call) << "broker::close() destroyed the listener callback while it was running";
}

TEST(broker_reentrancy, listener_may_close_the_broker_from_completed) {
  std::unique_ptr<broker> b;
  int completed = 0;
  broker::callbacks l;
  l.completed = [guard = capture_guard{}, &b, &completed](std::string_view, core::outcome, clock::time_point) {
    ++completed;
    close_from_callback(*b);
  };
  b = std::make_unique<broker>(std::move(l));
  b->submit(make_invocation("c"));
  std::optional<reply> refused;
  ASSERT_TRUE(b->next([](delivery) {}, refused).has_value());
  g_destroyed_during_call = false;
  EXPECT_EQ(b->response("c", "x", "", 1).status, 202u);
  EXPECT_EQ(completed, 1);
  EXPECT_EQ(b->current_state(), broker::state::closed);
  EXPECT_FALSE(g_destroyed_during_call) << "broker::close() destroyed the listener callback while it was running";
}

// Lambda Managed Instances (PROTOCOL.md §9.1): N invocations in flight at once, answered by id.
TEST(broker_managed, n_parked_nexts_take_n_invocations_and_answer_by_id) {
  recorder rec;
  broker b(rec.listener(), 200ull << 20, 2);
  waiter_probe w1, w2, w3;
  std::optional<reply> refused;
  std::uint64_t t1 = 0, t2 = 0;
  EXPECT_FALSE(b.next(w1.make(), refused, &t1).has_value());
  EXPECT_FALSE(b.next(w2.make(), refused, &t2).has_value());
  EXPECT_FALSE(refused.has_value());
  EXPECT_NE(t1, t2);
  EXPECT_EQ(b.parked(), 2u);
  // A third poll is beyond the two workers.
  EXPECT_FALSE(b.next(w3.make(), refused).has_value());
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->body, invalid_state_body("Ready", "Ready"));
  b.submit(make_invocation("a"));
  b.submit(make_invocation("b"));
  EXPECT_EQ(w1.request_id, "a");
  EXPECT_EQ(w2.request_id, "b");
  EXPECT_EQ(b.in_flight(), 2u);
  EXPECT_EQ(b.response("b", "B", "application/json", 1).status, 202u);
  EXPECT_EQ(b.in_flight(), 1u);
  EXPECT_EQ(b.current_state(), broker::state::invoking);
  EXPECT_EQ(b.response("a", "A", "application/json", 1).status, 202u);
  EXPECT_EQ(b.current_state(), broker::state::ready);
  ASSERT_EQ(rec.completed.size(), 2u);
  EXPECT_EQ(rec.completed[0].payload, "B");
  EXPECT_EQ(rec.completed[1].payload, "A");
}

TEST(broker_managed, a_forgotten_invocation_is_answered_late_and_dropped) {
  recorder rec;
  std::vector<std::string> late;
  broker::callbacks l = rec.listener();
  l.late_answer = [&late](std::string_view id) { late.emplace_back(id); };
  broker b(std::move(l), 200ull << 20, 2);
  b.submit(make_invocation("slow"));
  waiter_probe w;
  std::optional<reply> refused;
  ASSERT_TRUE(b.next(w.make(), refused).has_value());
  b.forget("slow");                 // its timeout passed
  EXPECT_EQ(b.in_flight(), 0u);
  const reply r = b.response("slow", "late", "application/json", 4);
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, accepted_body);
  EXPECT_TRUE(rec.completed.empty()) << "a late answer is not an outcome";
  EXPECT_EQ(late, (std::vector<std::string>{"slow"}));
  EXPECT_EQ(b.response("slow", "again", "application/json", 5).body, invalid_id_body) << "only once";
}

TEST(broker_managed, cancel_next_forgets_only_that_waiter) {
  recorder rec;
  broker b(rec.listener(), 200ull << 20, 2);
  waiter_probe w1, w2;
  std::optional<reply> refused;
  std::uint64_t t1 = 0, t2 = 0;
  b.next(w1.make(), refused, &t1);
  b.next(w2.make(), refused, &t2);
  b.cancel_next(t1);
  EXPECT_EQ(b.parked(), 1u);
  b.submit(make_invocation("x"));
  EXPECT_EQ(w1.calls, 0);
  EXPECT_EQ(w2.request_id, "x");
}

// A GET /next read before the answer to the invocation in flight (aws-lambda-ric sends them on two
// connections at once): held, and parked once the answer comes; refused only if it does not.
TEST_F(broker_test, a_next_held_while_the_answer_is_on_its_way_parks_once_it_comes) {
  waiter_probe first;
  park(first);
  b.submit(make_invocation("one"));
  ASSERT_EQ(first.request_id, "one");

  waiter_probe early;
  std::optional<reply> refused;
  std::uint64_t ticket = 0;
  bool provisional = false;
  EXPECT_FALSE(b.next(early.make(), refused, &ticket, &provisional).has_value());
  EXPECT_FALSE(refused.has_value());
  EXPECT_TRUE(provisional);
  EXPECT_FALSE(b.has_parked_next());

  EXPECT_EQ(b.response("one", "ok", "", 2).status, 202u);
  EXPECT_TRUE(b.has_parked_next()); // the answer freed its place
  EXPECT_EQ(b.refuse_if_provisional(ticket), std::nullopt);
  b.submit(make_invocation("two"));
  EXPECT_EQ(early.calls, 1);
  EXPECT_EQ(early.request_id, "two");
}

TEST_F(broker_test, a_held_next_without_an_answer_is_refused_when_its_time_is_up) {
  waiter_probe first;
  park(first);
  b.submit(make_invocation("one"));
  waiter_probe early;
  std::optional<reply> refused;
  std::uint64_t ticket = 0;
  bool provisional = false;
  b.next(early.make(), refused, &ticket, &provisional);
  ASSERT_TRUE(provisional);
  const auto r = b.refuse_if_provisional(ticket);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403u);
  EXPECT_EQ(r->body, invalid_state_body("Running", "Ready"));
  EXPECT_EQ(b.refuse_if_provisional(ticket), std::nullopt); // once
  // A second GET /next while one is parked is refused at once, held or not.
  EXPECT_EQ(b.response("one", "ok", "", 2).status, 202u);
  waiter_probe parked;
  park(parked);
  waiter_probe third;
  provisional = false;
  b.next(third.make(), refused, &ticket, &provisional);
  EXPECT_FALSE(provisional);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403u);
  EXPECT_EQ(early.calls + third.calls, 0);
}

} // namespace
} // namespace lemu::runtime_api
