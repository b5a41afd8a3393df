#include <lemu/gateway/eventstream.hpp>

#include <boost/crc.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace lemu::gateway::eventstream {

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

std::uint32_t get_u32(std::string_view s, std::size_t at) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

std::size_t get_u16(std::string_view s, std::size_t at) {
  return (static_cast<std::size_t>(static_cast<unsigned char>(s[at])) << 8) | static_cast<unsigned char>(s[at + 1]);
}

constexpr unsigned char string_type = 7;

// The value size of each fixed-size header type (0 bool true, 1 bool false, 2 byte, 3 short, 4 int,
// 5 long, 8 timestamp, 9 uuid); 6 (bytes) and 7 (string) have a 2-byte length instead.
std::optional<std::size_t> fixed_size(unsigned char type) {
  switch (type) {
  case 0:
  case 1: return 0;
  case 2: return 1;
  case 3: return 2;
  case 4: return 4;
  case 5:
  case 8: return 8;
  case 9: return 16;
  default: return std::nullopt;
  }
}

// The headers of a message; an error text when they do not parse.
std::optional<std::string> parse_headers(std::string_view h, header_list& out) {
  std::size_t i = 0;
  while (i < h.size()) {
    const std::size_t name_length = static_cast<unsigned char>(h[i++]);
    if (name_length == 0) return "a header with an empty name";
    if (i + name_length + 1 > h.size()) return "a header runs past the headers";
    std::string name(h.substr(i, name_length));
    i += name_length;
    const auto type = static_cast<unsigned char>(h[i++]);
    if (type == 6 || type == string_type) {
      if (i + 2 > h.size()) return "a header runs past the headers";
      const std::size_t length = get_u16(h, i);
      i += 2;
      if (i + length > h.size()) return "a header value runs past the headers";
      if (type == string_type) out.emplace_back(std::move(name), std::string(h.substr(i, length)));
      i += length;
    } else if (const auto size = fixed_size(type)) {
      if (i + *size > h.size()) return "a header value runs past the headers";
      i += *size;
    } else {
      return "header '" + name + "' has unknown value type " + std::to_string(type);
    }
  }
  return std::nullopt;
}

} // namespace

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type c;
  c.process_bytes(bytes.data(), bytes.size());
  return c.checksum();
}

void append_message(std::string& out, const header_list& headers, std::string_view payload) {
  std::size_t headers_length = 0;
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.size() > 255) throw std::invalid_argument("event stream header name must be 1 to 255 bytes");
    if (value.size() > 32767) throw std::invalid_argument("event stream header value over 32767 bytes");
    headers_length += 1 + name.size() + 1 + 2 + value.size();
  }
  const std::size_t total = overhead_bytes + headers_length + payload.size();
  if (headers_length > max_headers_bytes || total > max_message_bytes) {
    throw std::invalid_argument("event stream message over " + std::to_string(max_message_bytes) + " bytes");
  }
  const std::size_t start = out.size();
  out.reserve(start + total);
  put_u32(out, static_cast<std::uint32_t>(total));
  put_u32(out, static_cast<std::uint32_t>(headers_length));
  put_u32(out, crc32(std::string_view(out).substr(start, 8)));
  for (const auto& [name, value] : headers) {
    out += static_cast<char>(name.size());
    out += name;
    out += static_cast<char>(string_type);
    out += static_cast<char>((value.size() >> 8) & 0xff);
    out += static_cast<char>(value.size() & 0xff);
    out += value;
  }
  out += payload;
  put_u32(out, crc32(std::string_view(out).substr(start)));
}

void append_payload_chunk(std::string& out, std::string_view bytes) {
  static const header_list headers = {
      {":event-type", "PayloadChunk"}, {":content-type", "application/octet-stream"}, {":message-type", "event"}};
  while (!bytes.empty()) {
    const auto piece = bytes.substr(0, max_chunk_payload);
    append_message(out, headers, piece);
    bytes.remove_prefix(piece.size());
  }
}

void append_invoke_complete(std::string& out, const invoke_complete& fields) {
  static const header_list headers = {
      {":event-type", "InvokeComplete"}, {":content-type", "application/json"}, {":message-type", "event"}};
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  if (!fields.error_code.empty()) body["ErrorCode"] = fields.error_code;
  if (!fields.error_details.empty()) body["ErrorDetails"] = fields.error_details;
  if (!fields.log_result.empty()) body["LogResult"] = fields.log_result;
  // The details quote the function's error body, which need not be UTF-8: bad bytes become U+FFFD.
  append_message(out, headers, body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

std::optional<std::string_view> message::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

void decoder::feed(std::string_view bytes) {
  if (!m_error.empty()) return;
  if (m_offset > 0 && m_offset == m_buffer.size()) {
    m_buffer.clear();
    m_offset = 0;
  }
  m_buffer.append(bytes);
}

std::optional<message> decoder::next() {
  if (!m_error.empty()) return std::nullopt;
  const std::string_view rest = std::string_view(m_buffer).substr(m_offset);
  if (rest.size() < 12) return std::nullopt;
  const std::uint32_t total = get_u32(rest, 0);
  const std::uint32_t headers_length = get_u32(rest, 4);
  if (crc32(rest.substr(0, 8)) != get_u32(rest, 8)) {
    m_error = "bad prelude CRC";
    return std::nullopt;
  }
  if (total < overhead_bytes || total > max_message_bytes) {
    m_error = "message length " + std::to_string(total) + " out of range";
    return std::nullopt;
  }
  if (headers_length > max_headers_bytes || headers_length > total - overhead_bytes) {
    m_error = "headers length " + std::to_string(headers_length) + " out of range";
    return std::nullopt;
  }
  if (rest.size() < total) return std::nullopt;
  const std::string_view whole = rest.substr(0, total);
  if (crc32(whole.substr(0, total - 4)) != get_u32(whole, total - 4)) {
    m_error = "bad message CRC";
    return std::nullopt;
  }
  message m;
  if (auto e = parse_headers(whole.substr(12, headers_length), m.headers)) {
    m_error = std::move(*e);
    return std::nullopt;
  }
  m.payload = std::string(whole.substr(12 + headers_length, total - overhead_bytes - headers_length));
  m_offset += total;
  if (m_offset == m_buffer.size()) {
    m_buffer.clear();
    m_offset = 0;
  } else if (m_offset > max_message_bytes) {
    m_buffer.erase(0, m_offset);
    m_offset = 0;
  }
  return m;
}

} // namespace lemu::gateway::eventstream
