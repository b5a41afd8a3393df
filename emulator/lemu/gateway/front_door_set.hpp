#pragma once
// Several APIs behind one front door port: what `lemu serve --template` makes of a template's REST API (Api
// events, payload 1.0) and HTTP APIs (HttpApi events, payload 2.0 or 1.0) — sam local start-api serves them
// all on one port too. Every route of every API is matched together, by API Gateway's rules (routes.hpp):
// the most specific path wins whichever API it belongs to. Pure.

#include <lemu/gateway/front_door.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace lemu::gateway {

class front_door_set {
public:
  // One API (the CLI's --api): its routes, or none (then every request matches it). Several: each needs
  // routes, and no route key (method and path) may be in two of them (std::invalid_argument naming the route
  // and both functions). Each API's own checks are front_door's.
  explicit front_door_set(std::vector<front_door_options> apis);

  struct found {
    const front_door* door = nullptr; // the API whose route matched
    route_match match;
  };
  // The API and route that serve METHOD PATH; nullopt when none does.
  std::optional<found> match(std::string_view method, std::string_view path) const;

  const std::vector<front_door>& apis() const { return m_doors; }
  // A request no route takes is answered as the first API answers it (404 "Not Found" or
  // {"message":"Not Found"}).
  const front_door& first() const { return m_doors.front(); }

private:
  std::vector<front_door> m_doors;
  std::vector<route> m_routes;          // every API's routes, in API order
  std::vector<std::size_t> m_door_of;   // m_routes[i] belongs to m_doors[m_door_of[i]]
};

} // namespace lemu::gateway
