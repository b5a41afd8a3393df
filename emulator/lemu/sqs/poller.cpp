// Long polling over the store (service.hpp's `poller`): a receive that finds nothing waits until the store
// says a message of its queue became receivable (on_send), or until the queue's next change (a delay or a
// visibility timeout ends: store::next_change, a timer of the clock), or until its wait time is over.
#include <lemu/sqs/service.hpp>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <exception>
#include <map>
#include <utility>

namespace lemu::sqs {

struct poller::state : std::enable_shared_from_this<poller::state> {
  state(boost::asio::any_io_executor e, store& st, clock& c) : ex(std::move(e)), s(st), clk(c) {}

  struct waiter {
    std::string queue;
    receive_request request;
    received done;
    std::int64_t deadline = 0;
    clock::timer_id deadline_timer = 0;
    clock::timer_id change_timer = 0;
  };

  boost::asio::any_io_executor ex;
  store& s;
  clock& clk;
  std::map<std::uint64_t, waiter> waiters; // by arrival
  std::uint64_t next_id = 1;
  bool stopped = false;

  void deliver(received done, result<std::vector<received_message>> r) {
    boost::asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable {
      try {
        done(std::move(r));
      } catch (const std::exception& e) {
        spdlog::error("sqs: a receive's completion failed: {}", e.what());
      } catch (...) {
        spdlog::error("sqs: a receive's completion failed");
      }
    });
  }

  void finish(std::map<std::uint64_t, waiter>::iterator it, result<std::vector<received_message>> r) {
    waiter w = std::move(it->second);
    waiters.erase(it);
    if (w.deadline_timer) clk.cancel(w.deadline_timer);
    if (w.change_timer) clk.cancel(w.change_timer);
    deliver(std::move(w.done), std::move(r));
  }

  // A timer for the queue's next change before the waiter's deadline.
  void watch_changes(std::uint64_t id, waiter& w) {
    if (w.change_timer) clk.cancel(w.change_timer);
    w.change_timer = 0;
    const std::int64_t next = s.next_change(w.queue);
    if (next < 0 || next >= w.deadline || next <= clk.now_ms()) return;
    std::weak_ptr<state> weak = weak_from_this();
    w.change_timer = clk.at(next, [weak, id] {
      if (const auto self = weak.lock()) self->retry(id, false);
    });
  }

  // Tries the waiter's receive again: true when it was answered.
  bool retry(std::uint64_t id, bool last) {
    const auto it = waiters.find(id);
    if (it == waiters.end()) return true;
    if (last) it->second.deadline_timer = 0; // it is the one running
    else it->second.change_timer = 0;
    // The receive may call the store's observers, and one may end this waiter (stop()): it is looked up
    // again after, and nothing of it is held across the call.
    const std::string queue = it->second.queue;
    const receive_request request = it->second.request;
    auto r = s.receive(queue, request);
    const auto again = waiters.find(id);
    if (again == waiters.end()) return true; // ended meanwhile (what it received comes back after its visibility timeout)
    if (!r.ok() || !r.value().empty() || last) {
      finish(again, std::move(r));
      return true;
    }
    watch_changes(id, again->second);
    return false;
  }

  void receivable(const std::string& queue) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, w] : waiters)
      if (w.queue == queue) ids.push_back(id);
    for (const std::uint64_t id : ids) {
      if (!retry(id, false)) break; // nothing more to give
    }
  }

  void end_all(const std::string* queue) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, w] : waiters)
      if (!queue || w.queue == *queue) ids.push_back(id);
    for (const std::uint64_t id : ids) finish(waiters.find(id), std::vector<received_message>{});
  }
};

poller::poller(boost::asio::any_io_executor ex, store& s, clock& c)
    : m_state(std::make_shared<state>(std::move(ex), s, c)) {
  std::weak_ptr<state> weak = m_state;
  boost::asio::any_io_executor executor = m_state->ex;
  // The store calls this inside the send: the retries run later, on the executor.
  s.on_send([weak, executor](const std::string& queue) {
    const auto self = weak.lock();
    if (!self || self->waiters.empty()) return; // nobody waits: nothing to post
    boost::asio::post(executor, [weak, queue] {
      if (const auto st = weak.lock()) st->receivable(queue);
    });
  });
}

poller::~poller() { m_state->end_all(nullptr); }

void poller::receive(const std::string& queue, receive_request r, std::int64_t wait_ms, received done) {
  state& st = *m_state;
  auto now = st.s.receive(queue, r);
  if (!now.ok() || !now.value().empty() || wait_ms <= 0 || st.stopped) {
    st.deliver(std::move(done), std::move(now));
    return;
  }
  const std::uint64_t id = st.next_id++;
  state::waiter& w = st.waiters[id];
  w.queue = queue;
  w.request = r;
  w.done = std::move(done);
  w.deadline = st.clk.now_ms() + wait_ms;
  std::weak_ptr<state> weak = m_state;
  w.deadline_timer = st.clk.at(w.deadline, [weak, id] {
    if (const auto self = weak.lock()) self->retry(id, true);
  });
  st.watch_changes(id, w);
}

void poller::stop() {
  m_state->stopped = true;
  m_state->end_all(nullptr);
}

void poller::stop(const std::string& queue) { m_state->end_all(&queue); }

std::size_t poller::waiting() const { return m_state->waiters.size(); }

} // namespace lemu::sqs
