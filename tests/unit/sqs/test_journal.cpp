#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/journal.hpp>
#include <lemu/sqs/store.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using namespace lemu::sqs;
namespace fs = std::filesystem;

constexpr std::int64_t start_ms = 1'700'000'000'000;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

struct journal_fixture : ::testing::Test {
  fs::path dir;
  boost::asio::io_context io;
  virtual_clock clk{io.get_executor(), start_ms};

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lemu-sqs-journal-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = fs::path(tmpl) / "state"; // open() creates it
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir.parent_path(), ec);
  }

  std::unique_ptr<journal> open(fsync_policy p = fsync_policy::interval) {
    std::string error;
    auto j = journal::open(dir, p, error);
    EXPECT_TRUE(j) << error;
    return j;
  }
  void later(std::int64_t ms) {
    clk.at(clk.now_ms() + ms, [] {});
    clk.advance();
    io.restart();
    io.poll();
  }
  static sent send(store& s, const std::string& q, const std::string& body, const std::string& group = "") {
    send_entry e;
    e.body = body;
    e.group_id = group;
    auto r = s.send(q, e);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return r.ok() ? r.value() : sent{};
  }
  static std::vector<received_message> receive(store& s, const std::string& q, int max = 10) {
    receive_request r;
    r.max_messages = max;
    auto got = s.receive(q, r);
    EXPECT_TRUE(got.ok());
    if (!got.ok()) return {};
    return std::move(got.value());
  }
  static std::string count(store& s, const std::string& q, const std::string& what = "ApproximateNumberOfMessages") {
    auto r = s.get_attributes(q, {what});
    return r.ok() ? r.value().at(what) : "error";
  }
  std::vector<fs::path> corrupt_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().find(".corrupt-") != std::string::npos) out.push_back(e.path());
    return out;
  }
};

TEST_F(journal_fixture, StateSurvivesACrash) {
  std::string in_flight_receipt, a_id, fifo_seq, fifo_id;
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("dlq", {}).ok());
    ASSERT_TRUE(s.create_queue("q", {{"VisibilityTimeout", "60"},
                                     {"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":5})"}})
                    .ok());
    ASSERT_TRUE(s.create_queue("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
    ASSERT_TRUE(s.create_queue("gone", {}).ok());
    ASSERT_EQ(s.delete_queue("gone"), std::nullopt);
    a_id = send(s, "q", "a").message_id;
    send(s, "q", "b");
    send(s, "q", "c");
    auto got = receive(s, "q", 2); // a and b
    ASSERT_EQ(got.size(), 2U);
    in_flight_receipt = got[0].receipt_handle;
    ASSERT_EQ(s.delete_message("q", got[1].receipt_handle), std::nullopt); // b
    const sent f = send(s, "f.fifo", "x", "G");
    fifo_seq = f.sequence_number;
    fifo_id = f.message_id;
    // Destroyed without any close or sync: what a crash of lemu leaves (every change was written).
  }
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_TRUE(s.exists("q"));
  EXPECT_TRUE(s.exists("dlq"));
  EXPECT_FALSE(s.exists("gone"));
  EXPECT_TRUE(s.is_fifo("f.fifo"));
  EXPECT_EQ(s.visibility_timeout("q"), 60);
  EXPECT_NE(s.get_attributes("q", {"RedrivePolicy"}).value().at("RedrivePolicy").find("\"maxReceiveCount\":5"),
            std::string::npos);
  EXPECT_EQ(count(s, "q"), "1");
  EXPECT_EQ(count(s, "q", "ApproximateNumberOfMessagesNotVisible"), "1");
  auto now = receive(s, "q");
  ASSERT_EQ(now.size(), 1U);
  EXPECT_EQ(now[0].body, "c"); // a is still in flight, b was deleted
  later(60000);
  auto again = receive(s, "q");
  ASSERT_EQ(again.size(), 2U); // a (visible again) and c
  EXPECT_EQ(again[0].message_id, a_id);
  EXPECT_EQ(again[0].receive_count, 2U);
  // A receipt handle given before the crash still works.
  EXPECT_EQ(s.delete_message("q", in_flight_receipt), std::nullopt);
  EXPECT_EQ(count(s, "q", "ApproximateNumberOfMessagesNotVisible"), "1");

  // FIFO: deduplication and sequence numbers carry on.
  const sent dup = send(s, "f.fifo", "x", "G");
  EXPECT_EQ(dup.message_id, fifo_id);
  const sent next = send(s, "f.fifo", "y", "G");
  EXPECT_GT(next.sequence_number, fifo_seq);
  EXPECT_EQ(next.sequence_number.size(), 20U);
}

TEST_F(journal_fixture, ATornLastRecordIsDropped) {
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
    send(s, "q", "kept");
  }
  const fs::path log = dir / "sqs-journal.log";
  const std::string whole = read_all(log);
  // Half of a record: its frame says 100 bytes, 10 are there.
  write_all(log, whole + std::string("\x64\x00\x00\x00\x01\x02\x03\x04", 8) + std::string(10, 'z'));
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    EXPECT_EQ(count(s, "q"), "1");
    EXPECT_EQ(read_all(log), whole); // cut back to the last whole record
    send(s, "q", "after");
  }
  auto j = open();
  store s(clk, store_options{}, j.get());
  auto got = receive(s, "q");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].body, "kept");
  EXPECT_EQ(got[1].body, "after");
  EXPECT_TRUE(corrupt_files().empty());
}

TEST_F(journal_fixture, ADamagedRecordStopsReplayAndTheFileIsKeptAside) {
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
    send(s, "q", "first-message");
    send(s, "q", "second-message");
    send(s, "q", "third-message");
  }
  const fs::path log = dir / "sqs-journal.log";
  std::string data = read_all(log);
  const auto at = data.find("second-message");
  ASSERT_NE(at, std::string::npos);
  data[at] = 'S';
  write_all(log, data);
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    auto got = receive(s, "q");
    ASSERT_EQ(got.size(), 1U); // what came before the damage
    EXPECT_EQ(got[0].body, "first-message");
    const auto kept = corrupt_files();
    ASSERT_EQ(kept.size(), 1U);
    EXPECT_EQ(read_all(kept[0]), data); // the user's data, untouched
    EXPECT_TRUE(fs::exists(dir / "sqs-snapshot.bin"));
  }
  // The state replayed is saved: a further open has it without a new warning.
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_EQ(count(s, "q", "ApproximateNumberOfMessagesNotVisible"), "1");
  EXPECT_EQ(corrupt_files().size(), 1U);
}

TEST_F(journal_fixture, AnOversizedRecordIsCorruption) {
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
  }
  const fs::path log = dir / "sqs-journal.log";
  // A frame claiming 3 MiB, with that much data after it: not a torn write, corruption.
  std::string bogus("\x00\x00\x30\x00\x00\x00\x00\x00", 8);
  write_all(log, read_all(log) + bogus + std::string(3 * 1024 * 1024 + 10, 'x'));
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_TRUE(s.exists("q"));
  EXPECT_EQ(corrupt_files().size(), 1U);
}

TEST_F(journal_fixture, AFileThatIsNotAJournalIsKeptAside) {
  fs::create_directories(dir);
  write_all(dir / "sqs-journal.log", "these are the user's notes, not a journal\n");
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    EXPECT_TRUE(s.list_queues("").empty());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
  }
  const auto kept = corrupt_files();
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(read_all(kept[0]), "these are the user's notes, not a journal\n");
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_TRUE(s.exists("q"));
}

// A crash after the snapshot was renamed into place but before the new log was: the old log (an older
// generation) is already in the snapshot and must not be replayed on top of it.
TEST_F(journal_fixture, ALogOlderThanTheSnapshotIsIgnored) {
  const fs::path log = dir / "sqs-journal.log";
  std::string old_log;
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
    send(s, "q", "once");
    old_log = read_all(log);
    // An (empty) snapshot of the next generation.
    ASSERT_TRUE(j->compact({}));
  }
  write_all(log, old_log); // as if the crash came before the new log replaced it
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_FALSE(s.exists("q")); // the (empty) snapshot wins; the old log is not applied twice
  EXPECT_TRUE(corrupt_files().empty());
}

TEST_F(journal_fixture, ASecondOpenOfTheDirectoryIsRefused) {
  auto first = open();
  std::string error;
  auto second = journal::open(dir, fsync_policy::interval, error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find(dir.string()), std::string::npos) << error;
  EXPECT_NE(error.find("pid " + std::to_string(::getpid())), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  first.reset();
  EXPECT_TRUE(journal::open(dir, fsync_policy::interval, error)) << error;
}

TEST_F(journal_fixture, FsyncAlwaysKeepsEveryChangeToo) {
  {
    auto j = open(fsync_policy::always);
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {}).ok());
    send(s, "q", "synced");
  }
  auto j = open(fsync_policy::always);
  store s(clk, store_options{}, j.get());
  auto got = receive(s, "q");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].body, "synced");
}

TEST_F(journal_fixture, CompactionKeepsTheState) {
  std::vector<std::string> kept_ids;
  {
    auto j = open();
    store s(clk, store_options{}, j.get());
    ASSERT_TRUE(s.create_queue("q", {{"VisibilityTimeout", "100"}}).ok());
    ASSERT_TRUE(s.create_queue("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}).ok());
    send(s, "f.fifo", "dedup me", "G");
    const std::string body(1000, 'b');
    std::uint64_t most = 0;
    for (int round = 0; round < 120; ++round) {
      for (int i = 0; i < 10; ++i) send(s, "q", body + std::to_string(round * 10 + i));
      for (const auto& m : receive(s, "q", 10)) ASSERT_EQ(s.delete_message("q", m.receipt_handle), std::nullopt);
      most = std::max(most, j->log_bytes());
    }
    for (int i = 0; i < 3; ++i) kept_ids.push_back(send(s, "q", "kept " + std::to_string(i)).message_id);
    // 1,200 messages of 1 KB went through the log: more than 1 MiB, and far more than the live state, so it
    // was compacted on the way.
    EXPECT_LE(most, 1024U * 1024U + 16 * 1024U);
    EXPECT_LT(j->log_bytes(), most);
    EXPECT_TRUE(fs::exists(dir / "sqs-snapshot.bin"));
    receive(s, "q", 1); // one in flight
  }
  auto j = open();
  store s(clk, store_options{}, j.get());
  EXPECT_EQ(count(s, "q"), "2");
  EXPECT_EQ(count(s, "q", "ApproximateNumberOfMessagesNotVisible"), "1");
  auto got = receive(s, "q");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].message_id, kept_ids[1]);
  EXPECT_EQ(got[1].message_id, kept_ids[2]);
  EXPECT_EQ(s.visibility_timeout("q"), 100);
  EXPECT_EQ(send(s, "f.fifo", "dedup me", "G").sequence_number, receive(s, "f.fifo")[0].system.at("SequenceNumber"));
  EXPECT_TRUE(corrupt_files().empty());
}

} // namespace
