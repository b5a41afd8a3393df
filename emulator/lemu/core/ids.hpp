#pragma once
// Random ids, all from one fast PRNG type (mt19937_64): request ids, X-Ray trace ids, the front door's API
// ids, and the event generators' ids. Seedable (tests, reproducible events); otherwise seeded from the system
// once per thread, never per id.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace lemu::core {

class id_generator {
public:
  id_generator(); // seeded with random_seed()
  explicit id_generator(std::uint64_t seed) : m_rng(seed) {}

  // The next 64 random bits.
  std::uint64_t next() { return m_rng(); }
  // next() % n, 0 when n is 0: the same on every standard library (std::uniform_int_distribution is not),
  // so a seed gives the same ids everywhere.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : m_rng() % n; }

  // UUID version 4, lowercase: 8476a536-e9f4-41e8-9739-2dfe598c3fcd
  std::string request_id();
  // Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0
  std::string trace_id();
  // n characters of `alphabet`, one draw each: alphabet[below(alphabet.size())].
  std::string characters(std::string_view alphabet, std::size_t n);
  // n lowercase hex digits, one draw each.
  std::string hex(std::size_t n);
  // n characters of [a-z0-9], one draw each.
  std::string lower_alnum(std::size_t n);

private:
  std::mt19937_64 m_rng;
};

// A fresh 64-bit seed: std::random_device is read once per thread to seed a generator the seeds are drawn
// from (opening std::random_device for every id cost more than the id itself).
std::uint64_t random_seed();

} // namespace lemu::core
