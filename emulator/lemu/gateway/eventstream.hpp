#pragma once
// The AWS event stream encoding (application/vnd.amazon.eventstream), as InvokeWithResponseStream answers
// with it (PROTOCOL.md §1.9, §9.3). One message:
//
//   total length (4 bytes, big-endian) | headers length (4) | prelude CRC32 (4, over the 8 bytes before it)
//   headers: name length (1) | name | value type (1; 7 = string) | value length (2, big-endian) | value
//   payload
//   message CRC32 (4, over everything before it)
//
// CRC32 is the IEEE polynomial (zlib's). lemu writes string headers only; the decoder (for tests and the
// fuzz target) reads every header type the encoding has, keeping string values and skipping the others.
// Pure.
//
//   std::string out;
//   eventstream::append_payload_chunk(out, "first bytes");             // :event-type PayloadChunk
//   eventstream::append_invoke_complete(out, {});                     // :event-type InvokeComplete, {}
//
//   eventstream::decoder d;
//   d.feed(bytes);
//   while (auto m = d.next()) use(*m);                                 // d.error() when it stops on bad bytes

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::gateway::eventstream {

// Bounds of a message (AWS's own): at most 16 MiB in all, headers at most 128 KiB.
inline constexpr std::size_t max_message_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t max_headers_bytes = 128 * 1024;
// What lemu puts into one PayloadChunk at most; a longer piece becomes several chunks, in order.
inline constexpr std::size_t max_chunk_payload = 1024 * 1024;
// The 12-byte prelude and the 4-byte message CRC.
inline constexpr std::size_t overhead_bytes = 16;

// CRC32 (IEEE 802.3, reflected, as zlib's crc32()) of `bytes`.
std::uint32_t crc32(std::string_view bytes);

using header_list = std::vector<std::pair<std::string, std::string>>; // string headers, in order

// Appends one message with string headers. Header names are at most 255 bytes, values at most 32767 bytes
// (throws std::invalid_argument beyond, or when the message would pass max_message_bytes).
void append_message(std::string& out, const header_list& headers, std::string_view payload);

// PayloadChunk events for `bytes` (:event-type PayloadChunk, :content-type application/octet-stream,
// :message-type event), split at max_chunk_payload. Nothing for empty bytes.
void append_payload_chunk(std::string& out, std::string_view bytes);

// The InvokeComplete event's fields; empty ones are left out of its JSON payload.
struct invoke_complete {
  std::string error_code;    // ErrorCode: the function's error type ("Runtime.ExitError", ...)
  std::string error_details; // ErrorDetails
  std::string log_result;    // LogResult: base64 of the log's last 4 KB (X-Amz-Log-Type: Tail)
};
// :event-type InvokeComplete, :content-type application/json, :message-type event; payload
// {"ErrorCode":...,"ErrorDetails":...,"LogResult":...} with only the fields that are set ({} on success).
void append_invoke_complete(std::string& out, const invoke_complete& fields);

// One decoded message.
struct message {
  header_list headers; // string headers only
  std::string payload;
  // The value of a string header, if present.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Reads messages from bytes fed in any pieces. Holds at most one message's bytes beyond what was taken
// (max_message_bytes): a prelude announcing more, a bad CRC, a headers length past the message or a bad
// header stop it for good (error() says why; next() then returns nothing).
class decoder {
public:
  void feed(std::string_view bytes);
  std::optional<message> next();
  const std::string& error() const { return m_error; }
  // Bytes fed but not yet taken as a message.
  std::size_t buffered() const { return m_buffer.size() - m_offset; }

private:
  std::string m_buffer;
  std::size_t m_offset = 0;
  std::string m_error;
};

} // namespace lemu::gateway::eventstream
