#pragma once
// Digests and encodings the event generators need: MD5 (SQS md5OfBody / md5OfMessageAttributes, S3 eTag),
// SHA-256 (SQS content-based deduplication ids), through OpenSSL's libcrypto (EVP), and base64.

#include <lemu/util/base64.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::events {

// RFC 1321 MD5 of the bytes.
std::array<std::uint8_t, 16> md5(std::string_view bytes);
// Lowercase hex MD5, as SQS prints md5OfBody: md5_hex("Test message.") == "e4e68fb7bd0e697a0ae8f1bb342846b3".
std::string md5_hex(std::string_view bytes);

// Lowercase hex SHA-256 (FIPS 180-4).
std::string sha256_hex(std::string_view bytes);

// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

// One message attribute as md5OfMessageAttributes digests it: a Binary one's value as its raw bytes.
struct digest_attribute {
  std::string_view name, data_type;
  bool binary = false;
  std::string_view value;
};
// md5OfMessageAttributes as SQS computes it: attributes sorted by name; for each, the 4-byte big-endian length
// and bytes of the name, of the data type, one transport byte (1 String/Number, 2 Binary), then the length and
// bytes of the value; the MD5 of it all, lowercase hex. "" for no attributes. No validation.
std::string sqs_attributes_md5(std::vector<digest_attribute> attributes);

// Base64 (util/base64.hpp).
using util::base64_decode;
using util::base64_encode;

} // namespace lemu::events
