#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/queue_client.hpp>
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/store.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace lemu::sqs;

constexpr std::int64_t start_ms = 1'700'000'000'000;

struct poll_fixture : ::testing::Test {
  boost::asio::io_context io;
  virtual_clock clk{io.get_executor(), start_ms};
  store s{clk, store_options{}};
  poller p{io.get_executor(), s, clk};

  std::optional<result<std::vector<received_message>>> got;
  std::int64_t got_at = -1;

  void SetUp() override {
    ASSERT_TRUE(s.create_queue("q", {}).ok());
    ASSERT_TRUE(s.create_queue("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
  }
  void run() {
    io.restart();
    io.poll();
  }
  void start(const std::string& queue, std::int64_t wait_ms, receive_request r = {}) {
    got.reset();
    p.receive(queue, r, wait_ms, [this](result<std::vector<received_message>> res) {
      got = std::move(res);
      got_at = clk.now_ms();
    });
  }
  // Runs what is ready; then lets virtual time pass, callback by callback, until the receive is answered.
  void until_answered() {
    run();
    while (!got && clk.advance()) run();
  }
  std::vector<std::string> bodies() {
    std::vector<std::string> out;
    if (got && got->ok())
      for (const auto& m : got->value()) out.push_back(m.body);
    return out;
  }
  void send(const std::string& queue, const std::string& body, std::optional<int> delay = std::nullopt,
            const std::string& group = "") {
    send_entry e;
    e.body = body;
    e.delay_seconds = delay;
    e.group_id = group;
    ASSERT_TRUE(s.send(queue, e).ok());
  }
};

TEST_F(poll_fixture, AnswersAtOnceWhenAMessageIsThereButNeverInsideTheCall) {
  send("q", "hello");
  start("q", 20000);
  EXPECT_FALSE(got); // posted
  run();
  ASSERT_TRUE(got);
  EXPECT_EQ(bodies(), std::vector<std::string>{"hello"});
  EXPECT_EQ(got_at, start_ms);
}

TEST_F(poll_fixture, WaitsForASend) {
  start("q", 20000);
  run();
  EXPECT_FALSE(got);
  EXPECT_EQ(p.waiting(), 1U);
  send("q", "late");
  run();
  ASSERT_TRUE(got);
  EXPECT_EQ(bodies(), std::vector<std::string>{"late"});
  EXPECT_EQ(p.waiting(), 0U);
}

TEST_F(poll_fixture, EndsEmptyWhenTheWaitIsOver) {
  start("q", 5000);
  until_answered();
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->ok());
  EXPECT_TRUE(got->value().empty());
  EXPECT_EQ(got_at, start_ms + 5000);
  EXPECT_EQ(p.waiting(), 0U);
  // No wait: at once.
  start("q", 0);
  run();
  ASSERT_TRUE(got);
  EXPECT_EQ(got_at, start_ms + 5000);
}

TEST_F(poll_fixture, WakesWhenADelayEnds) {
  send("q", "delayed", 3);
  start("q", 20000);
  until_answered();
  EXPECT_EQ(bodies(), std::vector<std::string>{"delayed"});
  EXPECT_EQ(got_at, start_ms + 3000);
}

TEST_F(poll_fixture, WakesWhenAVisibilityTimeoutEnds) {
  send("q", "again");
  receive_request r;
  r.visibility_timeout = 2;
  ASSERT_EQ(s.receive("q", r).value().size(), 1U);
  start("q", 20000);
  until_answered();
  EXPECT_EQ(bodies(), std::vector<std::string>{"again"});
  EXPECT_EQ(got_at, start_ms + 2000);
  EXPECT_EQ(got->value()[0].receive_count, 2U);
}

TEST_F(poll_fixture, AFifoGroupFreedByADeleteWakesItsPoller) {
  send("f.fifo", "1", std::nullopt, "G");
  send("f.fifo", "2", std::nullopt, "G");
  receive_request one;
  auto first = s.receive("f.fifo", one);
  ASSERT_EQ(first.value().size(), 1U);
  start("f.fifo", 20000);
  run();
  EXPECT_FALSE(got); // the group is blocked
  ASSERT_EQ(s.delete_message("f.fifo", first.value()[0].receipt_handle), std::nullopt);
  run();
  ASSERT_TRUE(got);
  EXPECT_EQ(bodies(), std::vector<std::string>{"2"});
  EXPECT_EQ(got_at, start_ms);
}

TEST_F(poll_fixture, OneSendWakesOneOfTwoPollers) {
  std::vector<std::string> answers;
  for (int i = 0; i < 2; ++i)
    p.receive("q", {}, 20000, [&](result<std::vector<received_message>> r) {
      answers.push_back(r.ok() && !r.value().empty() ? r.value()[0].body : "(empty)");
    });
  run();
  send("q", "only");
  run();
  EXPECT_EQ(answers, std::vector<std::string>{"only"});
  EXPECT_EQ(p.waiting(), 1U);
  p.stop();
  run();
  EXPECT_EQ(answers, (std::vector<std::string>{"only", "(empty)"}));
  EXPECT_EQ(p.waiting(), 0U);
}

TEST_F(poll_fixture, StopEndsWaitsAndErrorsAreAnswers) {
  start("nope", 20000);
  run();
  ASSERT_TRUE(got);
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->err().code, "AWS.SimpleQueueService.NonExistentQueue");

  start("q", 20000);
  run();
  EXPECT_FALSE(got);
  p.stop("f.fifo"); // another queue: no effect
  run();
  EXPECT_FALSE(got);
  p.stop("q");
  run();
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->value().empty());
  EXPECT_EQ(got_at, start_ms);
}

TEST_F(poll_fixture, LocalQueueClient) {
  ASSERT_FALSE(s.set_attributes("q", {{"VisibilityTimeout", "45"}}));
  auto client = local_queue(io.get_executor(), s, p, "q");
  EXPECT_EQ(client->info().name, "q");
  EXPECT_EQ(client->info().url, "http://127.0.0.1:9324/000000000000/q");
  EXPECT_EQ(client->info().arn, "arn:aws:sqs:us-east-1:000000000000:q");
  EXPECT_EQ(client->info().region, "us-east-1");
  EXPECT_FALSE(client->info().fifo);
  EXPECT_EQ(client->info().visibility_timeout_s, 45);
  EXPECT_TRUE(local_queue(io.get_executor(), s, p, "f.fifo")->info().fifo);

  for (int i = 0; i < 12; ++i) send("q", "m" + std::to_string(i));
  std::vector<received_message> batch;
  client->receive(10, 20000, [&](result<std::vector<received_message>> r) { batch = std::move(r.value()); });
  run();
  ASSERT_EQ(batch.size(), 10U);
  EXPECT_EQ(batch[0].system.at("ApproximateReceiveCount"), "1");

  std::vector<std::string> handles;
  for (const auto& m : batch) handles.push_back(m.receipt_handle);
  std::optional<status> deleted;
  client->delete_messages(handles, [&](status st) { deleted = st; });
  EXPECT_FALSE(deleted); // posted
  run();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, std::nullopt);
  EXPECT_EQ(s.get_attributes("q", {"ApproximateNumberOfMessages"}).value().at("ApproximateNumberOfMessages"), "2");

  std::optional<status> bad;
  client->delete_messages({"junk"}, [&](status st) { bad = st; });
  run();
  ASSERT_TRUE(bad && *bad);
  EXPECT_EQ((*bad)->code, "ReceiptHandleIsInvalid");

  client->receive(10, 0, [&](result<std::vector<received_message>> r) { batch = std::move(r.value()); });
  run();
  ASSERT_EQ(batch.size(), 2U);
  std::optional<status> changed;
  client->change_visibility(batch[0].receipt_handle, 0, [&](status st) { changed = st; });
  run();
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, std::nullopt);

  // stop() ends a waiting receive with nothing.
  client->receive(10, 0, [&](result<std::vector<received_message>> r) { batch = std::move(r.value()); });
  run();
  ASSERT_EQ(batch.size(), 1U); // the one made visible again
  bool ended = false;
  client->receive(10, 20000, [&](result<std::vector<received_message>> r) { ended = r.ok() && r.value().empty(); });
  run();
  EXPECT_FALSE(ended);
  client->stop();
  run();
  EXPECT_TRUE(ended);
}

// The real clock: a long poll that finds nothing ends after its wait, measured in real time.
TEST(RealClockPoller, EndsAfterTheWaitInRealTime) {
  boost::asio::io_context io;
  real_clock clk(io.get_executor());
  store s(clk, store_options{});
  poller p(io.get_executor(), s, clk);
  ASSERT_TRUE(s.create_queue("q", {}).ok());
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  std::size_t n = 99;
  p.receive("q", {}, 150, [&](result<std::vector<received_message>> r) {
    done = true;
    n = r.value().size();
  });
  while (!done && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(n, 0U);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(140));

  // And a send wakes a waiting one at once.
  done = false;
  p.receive("q", {}, 20000, [&](result<std::vector<received_message>> r) {
    done = true;
    n = r.value().size();
  });
  send_entry e;
  e.body = "x";
  ASSERT_TRUE(s.send("q", e).ok());
  const auto sent_at = std::chrono::steady_clock::now();
  while (!done && std::chrono::steady_clock::now() - sent_at < std::chrono::seconds(5)) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(n, 1U);
  EXPECT_LT(std::chrono::steady_clock::now() - sent_at, std::chrono::seconds(1));
}

TEST(RealClock, RunsAndCancelsTimers) {
  boost::asio::io_context io;
  real_clock clk(io.get_executor());
  int ran = 0;
  clk.at(clk.now_ms() + 20, [&] { ran += 1; });
  const auto cancelled = clk.at(clk.now_ms() + 10, [&] { ran += 10; });
  clk.cancel(cancelled);
  clk.at(clk.now_ms() - 1000, [&] { ran += 100; }); // already due: posted, not run inside at()
  EXPECT_EQ(ran, 0);
  const auto started = std::chrono::steady_clock::now();
  while (ran < 101 && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ran, 101);
}

} // namespace
