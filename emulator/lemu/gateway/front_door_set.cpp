#include <lemu/gateway/front_door_set.hpp>

#include <stdexcept>
#include <string>

namespace lemu::gateway {

namespace {

std::string function_of(const route& r) { return r.function.empty() ? std::string("the default function") : r.function; }

} // namespace

front_door_set::front_door_set(std::vector<front_door_options> apis) {
  if (apis.empty()) throw std::invalid_argument("a front door needs at least one API");
  for (std::size_t i = 0; i < apis.size(); ++i) {
    if (apis.size() > 1 && apis[i].routes.empty()) {
      throw std::invalid_argument("several APIs on one front door: each needs routes (the " +
                                  std::string(to_string(apis[i].kind)) + " API has none)");
    }
    for (const route& r : apis[i].routes) {
      for (std::size_t j = 0; j < m_routes.size(); ++j) {
        if (m_routes[j].key() != r.key() || m_door_of[j] == i) continue; // the same API: front_door says it
        throw std::invalid_argument("route conflict: " + r.key() + " is served by " + function_of(m_routes[j]) + " (" +
                                    std::string(to_string(apis[m_door_of[j]].kind)) + " API) and by " + function_of(r) +
                                    " (" + std::string(to_string(apis[i].kind)) + " API)");
      }
      m_routes.push_back(r);
      m_door_of.push_back(i);
    }
  }
  m_doors.reserve(apis.size());
  for (auto& a : apis) m_doors.emplace_back(std::move(a));
}

std::optional<front_door_set::found> front_door_set::match(std::string_view method, std::string_view path) const {
  if (m_routes.empty()) {
    auto m = m_doors.front().match(method, path);
    if (!m) return std::nullopt;
    return found{&m_doors.front(), std::move(*m)};
  }
  auto m = match_route(m_routes, method, path);
  if (!m) return std::nullopt;
  const std::size_t index = static_cast<std::size_t>(m->matched - m_routes.data());
  return found{&m_doors[m_door_of[index]], std::move(*m)};
}

} // namespace lemu::gateway
