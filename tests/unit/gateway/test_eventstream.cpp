// The AWS event stream encoding: CRC32 against its check value, the empty message of AWS's own test vectors,
// PayloadChunk and InvokeComplete bytes against an independent encoder (zlib's CRC32), splitting, and the
// decoder (pieces of any size, every header type, bad CRCs and lengths, bounds).
#include <lemu/gateway/eventstream.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

namespace lemu::gateway::eventstream {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[(static_cast<unsigned char>(c) >> 4) & 0xf];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

TEST(EventStreamCrc, CheckValueOfCrc32) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
}

TEST(EventStreamEncode, EmptyMessageIsAwsTestVector) {
  // AWS's event stream test suite: "empty_message" = AAAAEAAAAAAFwkjrfZjI/w==
  std::string out;
  append_message(out, {}, "");
  EXPECT_EQ(hex(out), "000000100000000005c248eb7d98c8ff");
}

TEST(EventStreamEncode, PayloadChunkHasLambdasHeadersAndCrcs) {
  std::string out;
  append_payload_chunk(out, "hello");
  ASSERT_EQ(out.size(), 111u);
  EXPECT_EQ(hex(out.substr(0, 12)), "0000006f0000005af5fe871f");
  EXPECT_EQ(hex(out.substr(out.size() - 4)), "29e71260");
  decoder d;
  d.feed(out);
  const auto m = d.next();
  ASSERT_TRUE(m) << d.error();
  EXPECT_THAT(m->headers, ElementsAre(Pair(":event-type", "PayloadChunk"), Pair(":content-type", "application/octet-stream"),
                                      Pair(":message-type", "event")));
  EXPECT_EQ(m->payload, "hello");
}

TEST(EventStreamEncode, InvokeCompleteOnSuccessIsAnEmptyObject) {
  std::string out;
  append_invoke_complete(out, {});
  ASSERT_EQ(out.size(), 102u);
  EXPECT_EQ(hex(out.substr(0, 12)), "00000066000000541f56c869");
  EXPECT_EQ(hex(out.substr(out.size() - 4)), "7006d467");
  decoder d;
  d.feed(out);
  const auto m = d.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header(":event-type"), "InvokeComplete");
  EXPECT_EQ(m->header(":content-type"), "application/json");
  EXPECT_EQ(m->header(":message-type"), "event");
  EXPECT_EQ(m->payload, "{}");
}

TEST(EventStreamEncode, InvokeCompleteWithAnErrorAndTheLog) {
  std::string out;
  append_invoke_complete(out, {"Runtime.ExitError", R"({"errorType":"Runtime.ExitError"})", "U1RBUlQ="});
  decoder d;
  d.feed(out);
  const auto m = d.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload,
            R"({"ErrorCode":"Runtime.ExitError","ErrorDetails":"{\"errorType\":\"Runtime.ExitError\"}","LogResult":"U1RBUlQ="})");
}

TEST(EventStreamEncode, PiecesOverTheChunkLimitAreSplitInOrder) {
  const std::string big = std::string(max_chunk_payload, 'a') + std::string(10, 'b');
  std::string out;
  append_payload_chunk(out, big);
  decoder d;
  d.feed(out);
  const auto first = d.next();
  const auto second = d.next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->payload.size(), max_chunk_payload);
  EXPECT_EQ(second->payload, std::string(10, 'b'));
  EXPECT_FALSE(d.next());
  std::string none;
  append_payload_chunk(none, "");
  EXPECT_TRUE(none.empty());
}

TEST(EventStreamEncode, RefusesHeadersItCannotWrite) {
  std::string out;
  EXPECT_THROW(append_message(out, {{std::string(256, 'n'), "v"}}, ""), std::invalid_argument);
  EXPECT_THROW(append_message(out, {{"", "v"}}, ""), std::invalid_argument);
  EXPECT_THROW(append_message(out, {{"n", std::string(32768, 'v')}}, ""), std::invalid_argument);
  EXPECT_THROW(append_message(out, {}, std::string(max_message_bytes, 'x')), std::invalid_argument);
}

TEST(EventStreamDecode, MessagesFedByteByByte) {
  std::string out;
  append_payload_chunk(out, "one");
  append_payload_chunk(out, "two");
  append_invoke_complete(out, {});
  decoder d;
  std::vector<std::string> got;
  for (const char c : out) {
    d.feed(std::string_view(&c, 1));
    while (auto m = d.next()) got.push_back(std::string(m->header(":event-type").value_or("")) + ":" + m->payload);
  }
  EXPECT_THAT(got, ElementsAre("PayloadChunk:one", "PayloadChunk:two", "InvokeComplete:{}"));
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_TRUE(d.error().empty());
}

TEST(EventStreamDecode, SkipsNonStringHeaderTypes) {
  // Headers: "b" bool true (0), "i" int32 (4), "s" string "x".
  std::string headers;
  headers += std::string("\x01" "b" "\x00", 3);
  headers += std::string("\x01" "i" "\x04" "\x00\x00\x00\x07", 7);
  headers += std::string("\x01" "s" "\x07" "\x00\x01" "x", 6);
  std::string m;
  const auto u32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) m += static_cast<char>((v >> shift) & 0xff);
  };
  u32(static_cast<std::uint32_t>(16 + headers.size() + 2));
  u32(static_cast<std::uint32_t>(headers.size()));
  u32(crc32(m));
  m += headers;
  m += "pl";
  u32(crc32(m));
  decoder d;
  d.feed(m);
  const auto got = d.next();
  ASSERT_TRUE(got) << d.error();
  EXPECT_THAT(got->headers, ElementsAre(Pair("s", "x")));
  EXPECT_EQ(got->payload, "pl");
}

TEST(EventStreamDecode, BadPreludeCrcStopsForGood) {
  std::string out;
  append_payload_chunk(out, "x");
  out[8] ^= 1;
  decoder d;
  d.feed(out);
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.error(), "bad prelude CRC");
  std::string good;
  append_payload_chunk(good, "y");
  d.feed(good);
  EXPECT_FALSE(d.next());
}

TEST(EventStreamDecode, BadMessageCrc) {
  std::string out;
  append_payload_chunk(out, "x");
  out[out.size() - 5] ^= 1; // the payload
  decoder d;
  d.feed(out);
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.error(), "bad message CRC");
}

TEST(EventStreamDecode, LengthsOutOfRange) {
  const auto prelude = [](std::uint32_t total, std::uint32_t headers) {
    std::string p;
    for (const std::uint32_t v : {total, headers}) {
      for (int shift = 24; shift >= 0; shift -= 8) p += static_cast<char>((v >> shift) & 0xff);
    }
    const std::uint32_t c = crc32(p);
    for (int shift = 24; shift >= 0; shift -= 8) p += static_cast<char>((c >> shift) & 0xff);
    return p;
  };
  decoder too_big;
  too_big.feed(prelude(static_cast<std::uint32_t>(max_message_bytes + 1), 0));
  EXPECT_FALSE(too_big.next());
  EXPECT_THAT(too_big.error(), ::testing::HasSubstr("out of range"));
  decoder too_small;
  too_small.feed(prelude(15, 0));
  EXPECT_FALSE(too_small.next());
  EXPECT_FALSE(too_small.error().empty());
  decoder headers_past;
  headers_past.feed(prelude(20, 5));
  EXPECT_FALSE(headers_past.next());
  EXPECT_THAT(headers_past.error(), ::testing::HasSubstr("headers length"));
}

TEST(EventStreamDecode, IncompleteMessageWaits) {
  std::string out;
  append_payload_chunk(out, "hello");
  decoder d;
  d.feed(std::string_view(out).substr(0, out.size() - 1));
  EXPECT_FALSE(d.next());
  EXPECT_TRUE(d.error().empty());
  d.feed(std::string_view(out).substr(out.size() - 1));
  EXPECT_TRUE(d.next());
}

} // namespace
} // namespace lemu::gateway::eventstream
