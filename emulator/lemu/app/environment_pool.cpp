#include <lemu/app/environment_pool.hpp>

#include <algorithm>

namespace lemu::app {

environment_pool::environment_pool(boost::asio::any_io_executor ex, const core::function_config& fn, output& out,
                                   std::size_t limit, environment_options options)
    : m_ex(std::move(ex)), m_fn(fn), m_out(out), m_limit(limit), m_options(options) {}

bool environment_pool::has_capacity() const {
  return m_envs.size() < m_limit || std::any_of(m_envs.begin(), m_envs.end(), [](const auto& e) { return e->idle(); });
}

std::shared_ptr<execution_environment> environment_pool::acquire() {
  for (const auto& e : m_envs) {
    if (e->idle()) return e;
  }
  if (m_envs.size() >= m_limit) return nullptr;
  auto env = std::make_shared<execution_environment>(m_ex, m_fn, ++m_started, m_out, m_options);
  m_envs.push_back(env);
  try {
    env->start();
  } catch (...) {
    m_envs.pop_back();
    throw;
  }
  return env;
}

void environment_pool::release(const std::shared_ptr<execution_environment>& env, bool retire) {
  if (retire && env->alive()) env->shutdown();
  if (!env->alive()) std::erase(m_envs, env);
}

void environment_pool::shutdown_all() {
  for (const auto& e : std::vector<std::shared_ptr<execution_environment>>(m_envs)) e->shutdown();
  std::erase_if(m_envs, [](const auto& e) { return !e->alive(); });
}

} // namespace lemu::app
