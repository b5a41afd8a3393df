#pragma once
// A Beast request body that keeps at most `cap` bytes but counts (and drains) everything the client sends.
// It lets a server answer an oversized body with 413 after reading it whole, so the client sees the answer
// instead of a reset connection, without holding more than `cap` bytes in memory. Works for Content-Length
// and chunked bodies alike. Nothing is reserved up front beyond `initial_reserve`: a slow client that
// announces 6 MB and sends nothing costs nothing.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace lemu::net {

struct capped_body {
  static constexpr std::size_t initial_reserve = 64 * 1024;

  struct value_type {
    std::string data;      // the first `cap` bytes of the body
    std::size_t total = 0; // every byte received
    std::size_t cap = 0;
  };

  static std::uint64_t size(const value_type& v) { return v.data.size(); }

  class reader {
  public:
    template <bool IsRequest, class Fields>
    reader(boost::beast::http::header<IsRequest, Fields>&, value_type& v) : m_value(v) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (length) {
        m_value.data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>({*length, m_value.cap, initial_reserve})));
      }
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::const_buffer b = *it;
        append_capped(m_value, static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

  private:
    value_type& m_value;
  };

  // Appends what fits under the cap and counts everything.
  static void append_capped(value_type& v, const char* data, std::size_t n) {
    const std::size_t room = v.cap - std::min(v.cap, v.data.size());
    v.data.append(data, std::min(room, n));
    v.total += n;
  }
};

} // namespace lemu::net
