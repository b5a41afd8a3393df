#include <lemu/events/checksums.hpp>

#include <cstddef>

namespace lemu::events {

namespace {

constexpr std::uint32_t rotl(std::uint32_t x, unsigned n) { return (x << n) | (x >> (32U - n)); }
constexpr std::uint32_t rotr(std::uint32_t x, unsigned n) { return (x >> n) | (x << (32U - n)); }

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// The message padded as MD5 and SHA-256 both pad it: 0x80, zeros, then the bit length in 8 bytes
// (little-endian for MD5, big-endian for SHA-256), to a multiple of 64 bytes.
std::string pad_message(std::string_view bytes, bool big_endian_length) {
  std::string m(bytes);
  const std::uint64_t bit_length = static_cast<std::uint64_t>(bytes.size()) * 8U;
  m.push_back(static_cast<char>(0x80));
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 0; i < 8; ++i) {
    const int shift = big_endian_length ? (7 - i) * 8 : i * 8;
    m.push_back(static_cast<char>((bit_length >> shift) & 0xFFU));
  }
  return m;
}

// RFC 1321 §3.4: per-round shift amounts and the sine-derived constants.
constexpr std::array<unsigned, 64> md5_shift = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                                5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
constexpr std::array<std::uint32_t, 64> md5_k = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

constexpr std::array<std::uint32_t, 64> sha256_k = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

} // namespace

std::array<std::uint8_t, 16> md5(std::string_view bytes) {
  std::uint32_t a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  const std::string m = pad_message(bytes, false);
  for (std::size_t block = 0; block < m.size(); block += 64) {
    std::array<std::uint32_t, 16> w{};
    for (std::size_t i = 0; i < 16; ++i) {
      const std::size_t p = block + i * 4;
      w[i] = static_cast<std::uint32_t>(byte_at(m, p)) | (static_cast<std::uint32_t>(byte_at(m, p + 1)) << 8U) |
             (static_cast<std::uint32_t>(byte_at(m, p + 2)) << 16U) |
             (static_cast<std::uint32_t>(byte_at(m, p + 3)) << 24U);
    }
    std::uint32_t a = a0, b = b0, c = c0, d = d0;
    for (std::size_t i = 0; i < 64; ++i) {
      std::uint32_t f = 0;
      std::size_t g = 0;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const std::uint32_t rotated = rotl(a + f + md5_k[i] + w[g], md5_shift[i]);
      a = d;
      d = c;
      c = b;
      b = b + rotated;
    }
    a0 += a;
    b0 += b;
    c0 += c;
    d0 += d;
  }
  std::array<std::uint8_t, 16> digest{};
  const std::array<std::uint32_t, 4> words = {a0, b0, c0, d0};
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) digest[i * 4 + j] = static_cast<std::uint8_t>((words[i] >> (8 * j)) & 0xFFU);
  return digest;
}

std::string md5_hex(std::string_view bytes) {
  const auto digest = md5(bytes);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string sha256_hex(std::string_view bytes) {
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const std::string m = pad_message(bytes, true);
  for (std::size_t block = 0; block < m.size(); block += 64) {
    std::array<std::uint32_t, 64> w{};
    for (std::size_t i = 0; i < 16; ++i) {
      const std::size_t p = block + i * 4;
      w[i] = (static_cast<std::uint32_t>(byte_at(m, p)) << 24U) |
             (static_cast<std::uint32_t>(byte_at(m, p + 1)) << 16U) |
             (static_cast<std::uint32_t>(byte_at(m, p + 2)) << 8U) | static_cast<std::uint32_t>(byte_at(m, p + 3));
    }
    for (std::size_t i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3U);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10U);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<std::uint32_t, 8> v = h;
    for (std::size_t i = 0; i < 64; ++i) {
      const std::uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
      const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
      const std::uint32_t t1 = v[7] + s1 + ch + sha256_k[i] + w[i];
      const std::uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
      const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
      const std::uint32_t t2 = s0 + maj;
      v[7] = v[6];
      v[6] = v[5];
      v[5] = v[4];
      v[4] = v[3] + t1;
      v[3] = v[2];
      v[2] = v[1];
      v[1] = v[0];
      v[0] = t1 + t2;
    }
    for (std::size_t i = 0; i < 8; ++i) h[i] += v[i];
  }
  std::string digest;
  for (const std::uint32_t word : h)
    for (int shift = 24; shift >= 0; shift -= 8) digest.push_back(static_cast<char>((word >> shift) & 0xFFU));
  return to_hex(digest);
}

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

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<std::uint32_t>(byte_at(bytes, i)) << 16U) |
                            (static_cast<std::uint32_t>(byte_at(bytes, i + 1)) << 8U) | byte_at(bytes, i + 2);
    out.push_back(base64_alphabet[(n >> 18U) & 63U]);
    out.push_back(base64_alphabet[(n >> 12U) & 63U]);
    out.push_back(base64_alphabet[(n >> 6U) & 63U]);
    out.push_back(base64_alphabet[n & 63U]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t n = static_cast<std::uint32_t>(byte_at(bytes, i)) << 16U;
    out.push_back(base64_alphabet[(n >> 18U) & 63U]);
    out.push_back(base64_alphabet[(n >> 12U) & 63U]);
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t n = (static_cast<std::uint32_t>(byte_at(bytes, i)) << 16U) |
                            (static_cast<std::uint32_t>(byte_at(bytes, i + 1)) << 8U);
    out.push_back(base64_alphabet[(n >> 18U) & 63U]);
    out.push_back(base64_alphabet[(n >> 12U) & 63U]);
    out.push_back(base64_alphabet[(n >> 6U) & 63U]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int v = 0;
      if (j >= 4 - padding) {
        if (c != '=') return std::nullopt;
      } else {
        v = base64_value(c);
        if (v < 0) return std::nullopt;
      }
      n = (n << 6U) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>((n >> 16U) & 0xFFU));
    if (padding < 2) out.push_back(static_cast<char>((n >> 8U) & 0xFFU));
    if (padding < 1) out.push_back(static_cast<char>(n & 0xFFU));
  }
  return out;
}

} // namespace lemu::events
