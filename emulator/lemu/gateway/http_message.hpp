#pragma once
// One HTTP/1.1 request and response as `lemu serve` handles them (the Invoke API and the front door):
// plain values, no Beast types, so the request-to-event and response mappings are pure and testable.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::gateway {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
  std::string method;  // as sent: "GET"
  std::string target;  // origin form, raw (percent-encoded): "/items/42?x=1&x=2"
  header_list headers; // names as sent; a repeated name keeps its order (Beast groups it at its first
                       // occurrence); trailers of a chunked body come last
  std::string body;
  std::string source_ip; // the peer's address: "127.0.0.1"

  // The first value of `name` (case-insensitive), if present.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct http_response {
  unsigned status = 200;
  header_list headers; // in order; a name may repeat (Set-Cookie). Content-Length is added when sent.
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const;
};

// Whether `headers` has a header `name` (case-insensitive).
bool has_header(const header_list& headers, std::string_view name);

} // namespace lemu::gateway
