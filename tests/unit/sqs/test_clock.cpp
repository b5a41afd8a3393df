#include <lemu/sqs/clock.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

using lemu::sqs::virtual_clock;

// io_context::poll() stops the context when it runs out of work: restart it each time.
void poll(boost::asio::io_context& io) {
  io.restart();
  io.poll();
}

TEST(VirtualClock, RunsCallbacksInTimeOrderOnlyWhenAdvanced) {
  boost::asio::io_context io;
  virtual_clock c(io.get_executor(), 1000);
  std::vector<int> ran;
  c.at(3000, [&] { ran.push_back(3); });
  c.at(2000, [&] { ran.push_back(2); });
  poll(io);
  EXPECT_TRUE(ran.empty());
  EXPECT_EQ(c.next_due(), 2000);
  ASSERT_TRUE(c.advance());
  EXPECT_EQ(c.now_ms(), 2000);
  poll(io);
  ASSERT_EQ(ran, std::vector<int>{2});
  ASSERT_TRUE(c.advance());
  poll(io);
  EXPECT_EQ(c.now_ms(), 3000);
  EXPECT_EQ(ran, (std::vector<int>{2, 3}));
  EXPECT_FALSE(c.advance());
  EXPECT_EQ(c.next_due(), -1);
}

} // namespace
