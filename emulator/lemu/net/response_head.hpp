#pragma once
// The one formatter of HTTP/1.1 response heads for every lemu server, written into a string whose capacity
// is reused from response to response (no allocation per answer once warm):
//
//   begin_head(out, 202);                       // "HTTP/1.1 202 Accepted\r\n"
//   add_header(out, "Content-Type", "application/json");
//   end_head(out, body.size(), keep_alive);     // "Content-Length: N\r\n[Connection: close\r\n]\r\n"

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::net {

void begin_head(std::string& out, unsigned status);
void add_header(std::string& out, std::string_view name, std::string_view value);
void end_head(std::string& out, std::size_t content_length, bool keep_alive);

// The reason phrase of a status code ("Not Found"), "" for an unknown code.
std::string_view reason_phrase(unsigned status);

// RFC 9112 §6.1: lemu (like Go's net/http, and so Lambda's Runtime API) understands only the `chunked`
// transfer coding. True when a Transfer-Encoding value is exactly that (case-insensitive, spaces around).
bool supported_transfer_encoding(std::string_view value);

// Go's answer to any other transfer coding: 501, text/plain, "Unsupported transfer encoding", and the
// connection closed. Head and body in one string.
std::string unsupported_transfer_encoding_response();

} // namespace lemu::net
