#pragma once
// Base64 (RFC 4648, standard alphabet, with padding) through OpenSSL's EVP block coder, with a strict check.

#include <optional>
#include <string>
#include <string_view>

namespace lemu::util {

// Base64, standard alphabet with '=' padding.
std::string base64_encode(std::string_view bytes);
// Strict decoding: the standard alphabet, a length that is a multiple of 4, padding only at the end.
// nullopt for anything else (so a bad Binary attribute value is reported, not silently mangled).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace lemu::util
