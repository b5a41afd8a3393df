#pragma once
// Request ids and X-Ray trace ids, from a fast PRNG seeded once (seedable for tests).

#include <cstdint>
#include <random>
#include <string>

namespace lemu::core {

class id_generator {
public:
  id_generator(); // seeded from std::random_device
  explicit id_generator(std::uint64_t seed) : m_rng(seed) {}

  // UUID version 4, lowercase: 8476a536-e9f4-41e8-9739-2dfe598c3fcd
  std::string request_id();
  // Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0
  std::string trace_id();

private:
  std::mt19937_64 m_rng;
};

} // namespace lemu::core
