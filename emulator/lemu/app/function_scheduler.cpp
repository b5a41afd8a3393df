#include <lemu/app/function_scheduler.hpp>

#include <lemu/core/errors.hpp>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace lemu::app {

namespace asio = boost::asio;

namespace {

void post_cancelled(const asio::any_io_executor& ex, core::invocation inv, execution_environment::completion done) {
  invoke_result r;
  r.request_id = inv.request_id;
  r.outcome = core::cancelled_outcome(inv.request_id);
  asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

} // namespace

function_scheduler::function_scheduler(asio::any_io_executor ex, const core::function_config& fn, output& out,
                                       scheduler_options options)
    : m_ex(std::move(ex)), m_fn(&fn), m_out(out), m_options(options) {}

function_scheduler::~function_scheduler() {
  for (const auto& e : m_envs) {
    e->on_capacity(nullptr);
    e->stop();
  }
}

bool function_scheduler::can_start_now() const {
  if (m_stopped || !m_queue.empty()) return false;
  return has_room();
}

bool function_scheduler::has_room() const {
  return m_envs.size() < m_options.concurrency || std::any_of(m_envs.begin(), m_envs.end(), [this](const auto& e) {
           return e->idle() && !m_retiring.contains(e.get());
         });
}

bool function_scheduler::submit(core::invocation inv, completion done, answer_callback answered) {
  if (m_stopped) {
    post_cancelled(m_ex, std::move(inv), std::move(done));
    return true;
  }
  if (can_start_now()) {
    if (auto env = place(inv.tenant_id)) {
      start(env, std::move(inv), std::move(done), std::move(answered));
      return true;
    }
    // Room, but not for this tenant yet (another tenant's environment is busy): it waits, admitted.
  } else if (m_queue.size() >= m_options.max_queue) {
    return false;
  }
  m_queue.push_back({std::move(inv), std::move(done), std::move(answered)});
  spdlog::debug("{}: an invocation waits for an environment ({} waiting)", m_fn->function_name, m_queue.size());
  return true;
}

std::shared_ptr<execution_environment> function_scheduler::place(const std::string& tenant) {
  for (const auto& e : m_envs) {
    if (e->idle() && !m_retiring.contains(e.get()) && m_tenant_of.at(e.get()) == tenant) return e;
  }
  if (m_envs.size() >= m_options.concurrency) {
    // Every environment is alive and none has room for this tenant: one running nothing, bound to another
    // tenant, is retired to make room.
    const auto other = std::find_if(m_envs.begin(), m_envs.end(), [](const auto& e) { return e->unused(); });
    if (other == m_envs.end()) return nullptr;
    spdlog::debug("{}: environment {} retired for tenant '{}'", m_fn->function_name, (*other)->id(), tenant);
    const std::shared_ptr<execution_environment> retired = *other;
    retired->on_capacity(nullptr);
    retired->stop();
    forget(retired);
  }
  auto env = std::make_shared<execution_environment>(m_ex, *m_fn, ++m_started, m_out, m_options.environment);
  // Lambda resets an environment whose runtime crashed or timed out, /tmp kept: a crashed one's sandbox is
  // taken over by the next new environment of its tenant.
  if (auto kept = m_reset_sandboxes.find(tenant); kept != m_reset_sandboxes.end()) {
    env->use_sandbox(std::move(kept->second));
    m_reset_sandboxes.erase(kept);
  }
  m_envs.push_back(env);
  m_tenant_of[env.get()] = tenant;
  // A Managed Instances environment can take more without one ending (a late answer freed a worker).
  env->on_capacity([this] { pump(); });
  env->start(); // never throws: an environment that cannot start fails the invocation given to it
  return env;
}

void function_scheduler::start(const std::shared_ptr<execution_environment>& env, core::invocation inv, completion done,
                               answer_callback answered) {
  ++m_in_flight;
  std::string tenant = inv.tenant_id;
  env->invoke(std::move(inv), [this, env, done = std::move(done), tenant = std::move(tenant)](invoke_result r) {
    --m_in_flight;
    r.tenant_id = tenant;
    finished(env);
    done(std::move(r));
    pump();
  }, std::move(answered));
}

void function_scheduler::finished(const std::shared_ptr<execution_environment>& env) {
  // Died of its invocation (a crash, a timeout, out of memory), not retired: its /tmp lives on (see place()).
  if (const auto tenant = m_tenant_of.find(env.get()); tenant != m_tenant_of.end() && !m_stopped && !env->alive() &&
      env->sandbox() && !m_options.one_invocation_per_environment && !m_retiring.contains(env.get())) {
    m_reset_sandboxes[tenant->second] = env->sandbox();
  }
  if (m_options.one_invocation_per_environment && env->alive()) env->stop();
  if (retire_if_old(env)) return;
  if (!env->alive()) forget(env);
}

std::size_t function_scheduler::reload(core::function_config next) {
  m_versions.push_back(std::move(next));
  m_fn = &m_versions.back();
  m_reset_sandboxes.clear(); // a new version gets new environments, new sandboxes
  std::size_t busy = 0;
  for (const auto& e : std::vector<std::shared_ptr<execution_environment>>(m_envs)) {
    m_retiring.insert(e.get());
    if (!retire_if_old(e)) ++busy;
  }
  pump(); // queued invocations that waited for room may start in a new environment now
  return busy;
}

bool function_scheduler::retire_if_old(const std::shared_ptr<execution_environment>& env) {
  if (!m_retiring.contains(env.get())) return false;
  if (env->alive() && !env->unused()) return false;
  env->on_capacity(nullptr);
  env->stop();
  forget(env);
  return true;
}

void function_scheduler::forget(const std::shared_ptr<execution_environment>& env) {
  m_tenant_of.erase(env.get());
  m_retiring.erase(env.get());
  std::erase(m_envs, env);
}

void function_scheduler::forget_dead() {
  for (const auto& e : m_envs) {
    if (!e->alive()) {
      m_tenant_of.erase(e.get());
      m_retiring.erase(e.get());
    }
  }
  std::erase_if(m_envs, [](const auto& e) { return !e->alive(); });
}

void function_scheduler::pump() {
  while (!m_queue.empty() && !m_stopped) {
    if (!has_room()) return;
    auto env = place(m_queue.front().inv.tenant_id);
    if (!env) return;
    waiting w = std::move(m_queue.front());
    m_queue.pop_front();
    start(env, std::move(w.inv), std::move(w.done), std::move(w.answered));
  }
}

void function_scheduler::cancel_queued() {
  while (!m_queue.empty()) {
    waiting w = std::move(m_queue.front());
    m_queue.pop_front();
    post_cancelled(m_ex, std::move(w.inv), std::move(w.done));
  }
}

void function_scheduler::stop_all() {
  m_stopped = true;
  cancel_queued();
  for (const auto& e : std::vector<std::shared_ptr<execution_environment>>(m_envs)) e->stop();
  forget_dead();
}

void function_scheduler::stop_idle() {
  for (const auto& e : std::vector<std::shared_ptr<execution_environment>>(m_envs)) {
    if (e->unused()) e->stop();
  }
  forget_dead();
}

} // namespace lemu::app
