#include <lemu/core/ids.hpp>
#include <lemu/util/text.hpp>

#include <chrono>

namespace lemu::core {

std::uint64_t random_seed() {
  thread_local std::mt19937_64 seeds = [] {
    std::random_device device;
    return std::mt19937_64((static_cast<std::uint64_t>(device()) << 32U) ^ static_cast<std::uint64_t>(device()));
  }();
  return seeds();
}

id_generator::id_generator() : m_rng(random_seed()) {}

std::string id_generator::request_id() {
  const std::uint64_t hi = (m_rng() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL; // version 4
  const std::uint64_t lo = (m_rng() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; // variant 10
  std::string s;
  s.reserve(36);
  util::append_hex(s, hi >> 32, 8);
  s.push_back('-');
  util::append_hex(s, (hi >> 16) & 0xFFFF, 4);
  s.push_back('-');
  util::append_hex(s, hi & 0xFFFF, 4);
  s.push_back('-');
  util::append_hex(s, lo >> 48, 4);
  s.push_back('-');
  util::append_hex(s, lo & 0xFFFFFFFFFFFFULL, 12);
  return s;
}

std::string id_generator::trace_id() {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  std::string s = "Root=1-";
  s.reserve(70);
  util::append_hex(s, static_cast<unsigned long long>(seconds), 8);
  s.push_back('-');
  util::append_hex(s, m_rng() & 0xFFFFFFFFULL, 8);
  util::append_hex(s, m_rng(), 16);
  s += ";Parent=";
  util::append_hex(s, m_rng(), 16);
  s += ";Sampled=0";
  return s;
}

std::string id_generator::characters(std::string_view alphabet, std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(alphabet[below(alphabet.size())]);
  return out;
}

std::string id_generator::hex(std::size_t n) { return characters("0123456789abcdef", n); }

std::string id_generator::lower_alnum(std::size_t n) { return characters("abcdefghijklmnopqrstuvwxyz0123456789", n); }

} // namespace lemu::core
