#pragma once
// The execution environments of one function (DESIGN.md §2): an idle warm one is reused, a new one is
// started while fewer than the concurrency limit are alive, otherwise the caller waits (lemu run) or
// queues (lemu serve). Dead environments are dropped; the next invocation then starts a fresh one.

#include <lemu/app/execution_environment.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace lemu::app {

class environment_pool {
public:
  environment_pool(boost::asio::any_io_executor ex, const core::function_config& fn, output& out, std::size_t limit,
                   environment_options options = {});

  // An environment can take an invocation now: an idle one is alive, or another may be started.
  bool has_capacity() const;
  // An idle environment, else a newly started one (a cold start) when under the limit, else nullptr.
  // Throws std::system_error when a new runtime cannot be started.
  std::shared_ptr<execution_environment> acquire();
  // After an invocation in `env` ended: `retire` stops it (a cold start for every event); a dead one is dropped.
  void release(const std::shared_ptr<execution_environment>& env, bool retire = false);
  // Stops every environment (an invocation in flight ends as killed).
  void shutdown_all();

private:
  boost::asio::any_io_executor m_ex;
  const core::function_config& m_fn;
  output& m_out;
  std::size_t m_limit;
  environment_options m_options;
  std::vector<std::shared_ptr<execution_environment>> m_envs; // alive
  std::uint32_t m_started = 0;                                // ever started (ids)
};

} // namespace lemu::app
