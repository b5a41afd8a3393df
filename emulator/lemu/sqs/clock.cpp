#include <lemu/sqs/clock.hpp>

#include <lemu/util/time.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <utility>

namespace lemu::sqs {

struct real_clock::state {
  boost::asio::any_io_executor ex;
  timer_id next_id = 1;
  std::map<timer_id, std::shared_ptr<boost::asio::steady_timer>> timers;
};

real_clock::real_clock(boost::asio::any_io_executor ex) : m_state(std::make_shared<state>()) {
  m_state->ex = std::move(ex);
}

real_clock::~real_clock() {
  for (auto& [id, t] : m_state->timers) t->cancel();
  m_state->timers.clear();
}

std::int64_t real_clock::now_ms() const { return util::epoch_ms(); }

clock::timer_id real_clock::at(std::int64_t ms, std::function<void()> f) {
  const timer_id id = m_state->next_id++;
  auto t = std::make_shared<boost::asio::steady_timer>(m_state->ex);
  const std::int64_t delay = ms - now_ms();
  t->expires_after(std::chrono::milliseconds(delay > 0 ? delay : 0));
  m_state->timers.emplace(id, t);
  std::weak_ptr<state> weak = m_state;
  t->async_wait([weak, id, f = std::move(f)](const boost::system::error_code& ec) {
    const std::shared_ptr<state> s = weak.lock();
    if (!s) return;
    const auto it = s->timers.find(id);
    if (it == s->timers.end()) return; // cancelled
    s->timers.erase(it);
    if (ec) return;
    f();
  });
  return id;
}

void real_clock::cancel(timer_id id) {
  const auto it = m_state->timers.find(id);
  if (it == m_state->timers.end()) return;
  it->second->cancel();
  m_state->timers.erase(it);
}

virtual_clock::virtual_clock(boost::asio::any_io_executor ex, std::int64_t start_ms)
    : m_ex(std::move(ex)), m_now(start_ms) {}

clock::timer_id virtual_clock::at(std::int64_t ms, std::function<void()> f) {
  const timer_id id = m_next_id++;
  if (ms <= m_now) {
    // Due now: posted, as a real timer that has expired would run.
    // Kept pending until it runs, so that cancel() still finds it.
    m_pending.emplace(m_now, std::make_pair(id, std::move(f)));
    boost::asio::post(m_ex, [this, id] {
      for (auto i = m_pending.begin(); i != m_pending.end() && i->first <= m_now; ++i) {
        if (i->second.first != id) continue;
        std::function<void()> g = std::move(i->second.second);
        m_pending.erase(i);
        g();
        return;
      }
    });
    return id;
  }
  m_pending.emplace(ms, std::make_pair(id, std::move(f)));
  return id;
}

void virtual_clock::cancel(timer_id id) {
  for (auto i = m_pending.begin(); i != m_pending.end(); ++i) {
    if (i->second.first == id) {
      m_pending.erase(i);
      return;
    }
  }
}

std::int64_t virtual_clock::next_due() const { return m_pending.empty() ? -1 : m_pending.begin()->first; }

bool virtual_clock::advance() {
  if (m_pending.empty()) return false;
  const std::int64_t due = m_pending.begin()->first;
  if (due > m_now) m_now = due;
  std::vector<std::function<void()>> run;
  while (!m_pending.empty() && m_pending.begin()->first <= m_now) {
    run.push_back(std::move(m_pending.begin()->second.second));
    m_pending.erase(m_pending.begin());
  }
  for (auto& f : run) boost::asio::post(m_ex, std::move(f));
  return true;
}

} // namespace lemu::sqs
