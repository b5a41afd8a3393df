#pragma once
// The one scheduler of every command (lemu run, replay and serve): it decides which execution environment
// of a function runs each invocation, as Lambda does:
//
//   an idle warm environment  ->  else a new one (a cold start) while fewer than `concurrency` are alive
//                             ->  else the invocation waits in a queue of at most `max_queue`
//                             ->  else it is refused (submit() returns false: serve answers 429)
//
// Tenants (tenant isolation, PROTOCOL.md §9.2): an environment is bound to the tenant of its first
// invocation (core::invocation::tenant_id; "" counts as a tenant of its own, the only one without
// isolation) and runs only that tenant's invocations. "Idle" above means idle for the invocation's tenant;
// when all `concurrency` environments are alive, none is idle for that tenant but one is idle for another,
// that one is retired (its shutdown phase) and a fresh one started for this tenant: a cold start.
//
// Lambda Managed Instances (per_environment_concurrency N): "idle" means running fewer than its capacity,
// so capacity is environments x N; only an environment running nothing is retired for another tenant.
// An invocation admitted while the only room is another tenant's busy environment waits in the queue
// (beyond max_queue: it was admitted) until an environment can be retired or started.
//
// A new version of the function (reload(): its code rebuilt, its template re-read): environments of the
// old version take nothing new; an unused one is retired at once, a busy one when what it runs ends; every
// invocation from then on (and every queued one) runs in an environment of the new version. Old
// environments still count against `concurrency` until they are retired.
//
// `lemu run` asks can_start_now() before reading the next event, so nothing queues there (events are
// streamed; but for the tenant case above); `lemu serve` queues. Every submitted invocation gets exactly one result, through its
// completion: its outcome, or a cancelled one when the scheduler is stopped first.

#include <lemu/app/execution_environment.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace lemu::app {

struct scheduler_options {
  std::size_t concurrency = 1;  // environments alive at once, at most
  std::size_t max_queue = 0;    // invocations waiting for an environment, at most
  bool one_invocation_per_environment = false; // --cold: every environment serves one invocation
  environment_options environment;
};

class function_scheduler {
public:
  using completion = execution_environment::completion;
  using answer_callback = execution_environment::answer_callback;

  function_scheduler(boost::asio::any_io_executor ex, const core::function_config& fn, output& out, scheduler_options options);
  ~function_scheduler();
  function_scheduler(const function_scheduler&) = delete;
  function_scheduler& operator=(const function_scheduler&) = delete;

  // Starts the invocation now or queues it. False when the queue is full: `done` is dropped unused.
  // `answered`: see execution_environment::invoke (the caller can be answered before extensions finish).
  bool submit(core::invocation inv, completion done, answer_callback answered = nullptr);
  // An invocation submitted now would start at once (an environment is idle, or another may start).
  bool can_start_now() const;

  // The function as environments started now get it (the constructor's, or the last reload's).
  const core::function_config& config() const { return *m_fn; }
  // A new version of the function (see above). Returns how many environments of the old version were
  // still busy (they retire as they finish).
  std::size_t reload(core::function_config next);

  std::size_t in_flight() const { return m_in_flight; }
  std::size_t queued() const { return m_queue.size(); }
  std::uint32_t environments_started() const { return m_started; }

  // Every queued invocation ends now, cancelled (each `done` is posted a cancelled result), oldest first.
  void cancel_queued();
  // Stops every environment: invocations in flight end cancelled, queued ones too; nothing starts after.
  void stop_all();
  // Stops the environments that are idle (the end of a run: nothing more will come).
  void stop_idle();

private:
  // A crashed environment's sandbox per tenant, for the next environment of that tenant (Lambda's reset).
  std::map<std::string, std::shared_ptr<sandbox::sandbox>> m_reset_sandboxes;
  struct waiting {
    core::invocation inv;
    completion done;
    answer_callback answered;
  };
  // The environment to run an invocation of `tenant` now: one with room bound to it, else a new one (after
  // retiring an unused one of another tenant when all are alive); nullptr when there is none.
  std::shared_ptr<execution_environment> place(const std::string& tenant);
  void start(const std::shared_ptr<execution_environment>& env, core::invocation inv, completion done,
             answer_callback answered);
  void finished(const std::shared_ptr<execution_environment>& env);
  void pump();
  bool has_room() const; // an environment (of the current version) has room, or another may start
  // Drops an environment (dead) from m_envs, and its tenant; forget_dead() every dead one.
  void forget(const std::shared_ptr<execution_environment>& env);
  void forget_dead();
  // An environment of an old version that has nothing left to run is stopped and forgotten; true if it was.
  bool retire_if_old(const std::shared_ptr<execution_environment>& env);

  boost::asio::any_io_executor m_ex;
  const core::function_config* m_fn;             // the current version
  std::deque<core::function_config> m_versions;  // versions given to reload(), for the environments using them
  std::set<const execution_environment*> m_retiring;    // old-version environments still busy
  output& m_out;
  scheduler_options m_options;
  std::vector<std::shared_ptr<execution_environment>> m_envs; // alive
  std::map<const execution_environment*, std::string> m_tenant_of; // the tenant each of m_envs is bound to
  std::deque<waiting> m_queue;
  std::size_t m_in_flight = 0;
  std::uint32_t m_started = 0; // environments ever started (their ids)
  bool m_stopped = false;
};

} // namespace lemu::app
