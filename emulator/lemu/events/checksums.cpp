#include <lemu/events/checksums.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace lemu::events {

namespace {

// One-shot digest through OpenSSL's EVP interface.
std::string digest(const EVP_MD* md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &length, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

void append_length_prefixed(std::string& out, std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  out.push_back(static_cast<char>((n >> 24U) & 0xFFU));
  out.push_back(static_cast<char>((n >> 16U) & 0xFFU));
  out.push_back(static_cast<char>((n >> 8U) & 0xFFU));
  out.push_back(static_cast<char>(n & 0xFFU));
  out.append(bytes);
}

} // namespace

std::string sqs_attributes_md5(std::vector<digest_attribute> attributes) {
  if (attributes.empty()) return "";
  std::sort(attributes.begin(), attributes.end(),
            [](const digest_attribute& a, const digest_attribute& b) { return a.name < b.name; });
  std::string buffer;
  for (const digest_attribute& a : attributes) {
    append_length_prefixed(buffer, a.name);
    append_length_prefixed(buffer, a.data_type);
    buffer.push_back(a.binary ? '\2' : '\1');
    append_length_prefixed(buffer, a.value);
  }
  return md5_hex(buffer);
}

std::array<std::uint8_t, 16> md5(std::string_view bytes) {
  const std::string d = digest(EVP_md5(), bytes);
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(d[i]);
  return out;
}

std::string md5_hex(std::string_view bytes) { return to_hex(digest(EVP_md5(), bytes)); }

std::string sha256_hex(std::string_view bytes) { return to_hex(digest(EVP_sha256(), bytes)); }

std::string to_hex(std::string_view bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    out.push_back(digits[b >> 4U]);
    out.push_back(digits[b & 0x0FU]);
  }
  return out;
}

} // namespace lemu::events
