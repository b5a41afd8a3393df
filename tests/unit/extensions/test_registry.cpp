// The Extensions API's state machine, without sockets (PROTOCOL.md §2.1): gates, events, refusals.
#include <lemu/extensions/registry.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace lemu::extensions {
namespace {

struct fixture {
  int changes = 0;
  registry reg{{"fn", "$LATEST", "function.handler", "123456789012"}, [this] { ++changes; }};

  std::string register_as(const std::string& name, const std::string& events) {
    const reply r = reg.register_extension(name, "", R"({"events":)" + events + "}");
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.header_value;
  }
  // A /event/next that parks; returns what it was woken with.
  std::optional<reply> park(const std::string& id, std::optional<std::optional<reply>>& woken) {
    std::optional<reply> refused;
    auto now = reg.next(id, [&woken](std::optional<reply> r) { woken = std::move(r); }, refused);
    EXPECT_FALSE(refused) << refused->body;
    return now;
  }
};

TEST(registry, register_answers_the_function_and_the_account_on_request) {
  fixture f;
  const reply r = f.reg.register_extension("x", "accountId", R"({"events":["INVOKE"]})");
  EXPECT_EQ(r.body, "{\"functionName\":\"fn\",\"functionVersion\":\"$LATEST\",\"handler\":\"function.handler\","
                    "\"accountId\":\"123456789012\"}\n");
  EXPECT_STREQ(r.header_name, "Lambda-Extension-Identifier");
  EXPECT_EQ(f.reg.register_extension("y", "other", "{}").body,
            "{\"functionName\":\"fn\",\"functionVersion\":\"$LATEST\",\"handler\":\"function.handler\"}\n");
}

TEST(registry, init_gate_opens_when_every_extension_called_next) {
  fixture f;
  f.reg.expect_external("a");
  EXPECT_FALSE(f.reg.externals_registered());
  const std::string a = f.register_as("a", R"(["INVOKE","SHUTDOWN"])");
  const std::string b = f.register_as("internal", R"(["INVOKE"])");
  EXPECT_TRUE(f.reg.externals_registered());
  EXPECT_FALSE(f.reg.all_ready());
  std::optional<std::optional<reply>> wa, wb;
  EXPECT_FALSE(f.park(a, wa));
  EXPECT_FALSE(f.reg.all_ready());
  EXPECT_FALSE(f.park(b, wb));
  EXPECT_TRUE(f.reg.all_ready());
  EXPECT_TRUE(f.reg.has_internal());
  EXPECT_TRUE(f.reg.any_subscribed_to_shutdown());
}

TEST(registry, invoke_goes_to_subscribers_and_the_gate_closes_until_they_call_next_again) {
  fixture f;
  f.reg.expect_external("a");
  const std::string a = f.register_as("a", R"(["INVOKE","SHUTDOWN"])");
  const std::string quiet = f.register_as("quiet", "null");
  std::optional<std::optional<reply>> wa, wq;
  f.park(a, wa);
  f.park(quiet, wq);
  EXPECT_TRUE(f.reg.send_invoke({"id-1", 42, "arn:x", ""}));
  ASSERT_TRUE(wa && *wa);
  EXPECT_EQ(nlohmann::json::parse((*wa)->body),
            nlohmann::json::parse(R"({"eventType":"INVOKE","deadlineMs":42,"requestId":"id-1","invokedFunctionArn":"arn:x"})"));
  EXPECT_FALSE(wq) << "not subscribed to INVOKE";
  EXPECT_FALSE(f.reg.all_ready());
  std::optional<std::optional<reply>> again;
  f.park(a, again);
  EXPECT_TRUE(f.reg.all_ready());
  // SHUTDOWN: only to the external extension subscribed to it.
  f.reg.send_shutdown({"SPINDOWN", 7});
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->body, R"({"eventType":"SHUTDOWN","shutdownReason":"SPINDOWN","deadlineMs":7})");
  EXPECT_FALSE(wq);
  f.reg.close();
  ASSERT_TRUE(wq);
  EXPECT_FALSE(*wq) << "closing releases a parked next without an event";
}

TEST(registry, a_second_parked_next_of_the_same_extension_is_refused) {
  fixture f;
  const std::string a = f.register_as("a", "[]");
  std::optional<std::optional<reply>> w;
  f.park(a, w);
  std::optional<reply> refused;
  f.reg.next(a, [](std::optional<reply>) {}, refused);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403u);
  f.reg.cancel_next(a); // its connection went away: it may park again
  refused.reset();
  f.reg.next(a, [](std::optional<reply>) {}, refused);
  EXPECT_FALSE(refused);
}

TEST(registry, errors_are_reported_once_with_their_type) {
  fixture f;
  const std::string a = f.register_as("a", "[]");
  EXPECT_EQ(f.reg.exit_error(a, "Extension.Boom").status, 202u);
  const auto failure = f.reg.failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->name, "a");
  EXPECT_EQ(failure->error_type, "Extension.Boom");
  EXPECT_EQ(failure->state, state::exit_error);
  EXPECT_EQ(f.reg.exit_error(a, "Extension.Boom").status, 403u);
}

TEST(registry, managed_instances_refuse_invoke_but_take_shutdown) {
  fixture f;
  f.reg.expect_external("a");
  f.reg.refuse_invoke_events();
  const reply invoke = f.reg.register_extension("a", "", R"({"events":["INVOKE","SHUTDOWN"]})");
  EXPECT_EQ(invoke.status, 403u);
  EXPECT_EQ(invoke.body, "{\"errorMessage\":\"INVOKE: ErrorInvalidEventType\",\"errorType\":\"Extension.InvalidEventType\"}\n");
  EXPECT_FALSE(f.register_as("a", R"(["SHUTDOWN"])").empty());
}

} // namespace
} // namespace lemu::extensions
