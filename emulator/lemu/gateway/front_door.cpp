#include <lemu/gateway/front_door.hpp>

#include <lemu/core/ids.hpp>
#include <lemu/events/generators.hpp>

#include <algorithm>
#include <stdexcept>

namespace lemu::gateway {

front_door::front_door(front_door_options o) : m_options(std::move(o)) {
  const std::string kind(to_string(m_options.kind));
  const bool prefixed = std::all_of(m_options.routes.begin(), m_options.routes.end(),
                                    [](const route& r) { return !r.strip_prefix.empty(); });
  if (m_options.kind == api_kind::url && !m_options.routes.empty() && !prefixed)
    throw std::invalid_argument("function URLs have no routes: every request goes to the function (drop --route "
                                "or use --api rest or --api http)");
  for (std::size_t i = 0; i < m_options.routes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (m_options.routes[i].key() == m_options.routes[j].key())
        throw std::invalid_argument("route '" + m_options.routes[i].key() + "' is given twice");
  if (m_options.stage.empty()) m_options.stage = default_stage(m_options.kind);
  // Region, account id and stage are checked by the event generator: one sample event now reports a bad
  // value at startup rather than on the first request.
  events::generator_options g;
  g.region = m_options.region;
  g.account_id = m_options.account_id;
  g.stage = m_options.stage;
  g.seed = 1;
  try {
    (void)events::make_event(generator_kind(m_options.kind), g);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--api ") + kind + ": " + e.what());
  }
  m_api_id = core::id_generator().lower_alnum(m_options.kind == api_kind::url ? 32 : 10);
}

std::optional<route_match> front_door::match(std::string_view method, std::string_view path) const {
  return match_route(m_options.routes, method, path);
}

nlohmann::ordered_json front_door::make_event(const http_request& req, const route_match& m, std::int64_t now_ms) const {
  return make_request_event(m_options, m_api_id, req, m, now_ms);
}

front_door::mapped front_door::map_response(std::string_view payload) const {
  return map_proxy_response(m_options.kind, payload);
}

http_response front_door::function_failed() const { return function_failed_response(); }

http_response front_door::not_found() const { return not_found_response(m_options.kind); }

} // namespace lemu::gateway
