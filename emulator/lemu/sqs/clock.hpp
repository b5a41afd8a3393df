#pragma once
// Time for the local queues and the event source mapping: the real clock (lemu serve) or a virtual one
// (lemu run --sqs-simulate), behind one interface, so both run the same code and only the clock differs.
//
// A `clock` tells the time (epoch milliseconds) and runs callbacks at a time: `at(ms, f)`. The real clock
// uses an Asio steady timer per callback; the virtual clock keeps them in order and runs them only when
// told that everything else is idle (`advance()`): time jumps to the earliest pending callback, so a 30 s
// visibility timeout passes in no real time. Every callback runs on the io_context's thread, never inside
// at() itself.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace lemu::sqs {

class clock {
public:
  using timer_id = std::uint64_t;
  virtual ~clock() = default;
  virtual std::int64_t now_ms() const = 0;
  // Runs `f` once the clock reaches `ms` (posted, at once when it already has). The id cancels it.
  virtual timer_id at(std::int64_t ms, std::function<void()> f) = 0;
  // Drops a pending callback; nothing when it ran or was cancelled already.
  virtual void cancel(timer_id id) = 0;
  virtual bool is_virtual() const { return false; }
};

// Wall-clock time (util::epoch_ms), callbacks on Asio steady timers.
class real_clock final : public clock {
public:
  explicit real_clock(boost::asio::any_io_executor ex);
  ~real_clock() override;
  std::int64_t now_ms() const override;
  timer_id at(std::int64_t ms, std::function<void()> f) override;
  void cancel(timer_id id) override;

private:
  struct state;
  std::shared_ptr<state> m_state;
};

// A clock that moves only when advance() is called. Starts at `start_ms`.
class virtual_clock final : public clock {
public:
  virtual_clock(boost::asio::any_io_executor ex, std::int64_t start_ms);
  std::int64_t now_ms() const override { return m_now; }
  timer_id at(std::int64_t ms, std::function<void()> f) override;
  void cancel(timer_id id) override;
  bool is_virtual() const override { return true; }

  // The time of the earliest pending callback, or -1 when none is pending.
  std::int64_t next_due() const;
  // Moves the clock to the earliest pending callback's time (never backwards) and posts every callback
  // due then. False when none is pending (the simulation is over).
  bool advance();

private:
  boost::asio::any_io_executor m_ex;
  std::int64_t m_now;
  timer_id m_next_id = 1;
  std::multimap<std::int64_t, std::pair<timer_id, std::function<void()>>> m_pending;
};

} // namespace lemu::sqs
