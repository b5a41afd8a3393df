#include <lemu/sqs/queue_client.hpp>

#include <lemu/sqs/service.hpp>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace lemu::sqs {

namespace {

constexpr std::int64_t max_wait_ms = 20000;

// Runs `f` on the executor, never inside the call, and keeps any exception inside.
template <class F>
void post_safely(const boost::asio::any_io_executor& ex, F f) {
  boost::asio::post(ex, [f = std::move(f)]() mutable {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("sqs: a queue operation's completion failed: {}", e.what());
    } catch (...) {
      spdlog::error("sqs: a queue operation's completion failed");
    }
  });
}

class local_client final : public queue_client {
public:
  local_client(boost::asio::any_io_executor ex, store& s, poller& p, const std::string& name)
      : m_ex(std::move(ex)), m_store(s), m_poller(p) {
    m_info.name = name;
    m_info.url = s.queue_url(name);
    m_info.arn = s.queue_arn(name);
    m_info.region = s.options().region;
    m_info.fifo = s.is_fifo(name);
    m_info.visibility_timeout_s = s.exists(name) ? s.visibility_timeout(name) : 30;
  }

  const queue_info& info() const override { return m_info; }

  void receive(int max, std::int64_t wait_ms, received done) override {
    receive_request r;
    r.max_messages = std::clamp(max, 1, 10);
    const std::int64_t wait = m_stopped ? 0 : std::clamp<std::int64_t>(wait_ms, 0, max_wait_ms);
    m_poller.receive(m_info.name, r, wait, std::move(done));
  }

  void delete_messages(std::vector<std::string> receipt_handles, std::function<void(status)> done) override {
    status first;
    std::size_t failed = 0;
    for (const std::string& handle : receipt_handles) {
      status st = m_store.delete_message(m_info.name, handle);
      if (!st) continue;
      if (++failed == 1) first = st;
      spdlog::warn("sqs: {}: a message could not be deleted: {}: {}", m_info.name, st->code, st->message);
    }
    post_safely(m_ex, [done = std::move(done), first = std::move(first)] { done(first); });
  }

  void change_visibility(const std::string& receipt_handle, int seconds, std::function<void(status)> done) override {
    status st = m_store.change_visibility(m_info.name, receipt_handle, seconds);
    post_safely(m_ex, [done = std::move(done), st = std::move(st)] { done(st); });
  }

  void stop() override {
    m_stopped = true;
    m_poller.stop(m_info.name);
  }

private:
  boost::asio::any_io_executor m_ex;
  store& m_store;
  poller& m_poller;
  queue_info m_info;
  bool m_stopped = false;
};

} // namespace

std::unique_ptr<queue_client> local_queue(boost::asio::any_io_executor ex, store& s, poller& p, const std::string& name) {
  return std::make_unique<local_client>(std::move(ex), s, p, name);
}

} // namespace lemu::sqs
