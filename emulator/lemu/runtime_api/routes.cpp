#include <lemu/runtime_api/routes.hpp>

namespace lemu::runtime_api {

namespace {

constexpr std::string_view prefix = "/2018-06-01/runtime/";
constexpr std::string_view invocation_prefix = "invocation/";

route with_method(std::string_view method, std::string_view wanted, route r) {
  if (method != wanted) return route{route_kind::method_not_allowed, {}};
  return r;
}

} // namespace

route match_route(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/2020-01-01/extension/register") return with_method(method, "POST", {route_kind::extension_register, {}});
  if (path == "/2020-01-01/extension/event/next") return with_method(method, "GET", {route_kind::extension_next, {}});
  if (path == "/2020-01-01/extension/init/error") return with_method(method, "POST", {route_kind::extension_init_error, {}});
  if (path == "/2020-01-01/extension/exit/error") return with_method(method, "POST", {route_kind::extension_exit_error, {}});
  if (path == "/2022-07-01/telemetry") return with_method(method, "PUT", {route_kind::telemetry_subscribe, {}});
  if (path == "/2020-08-15/logs") return with_method(method, "PUT", {route_kind::logs_subscribe, {}});
  if (path.substr(0, prefix.size()) != prefix) return {};
  path.remove_prefix(prefix.size());

  if (path == "init/error") return with_method(method, "POST", {route_kind::init_error, {}});
  if (path.substr(0, invocation_prefix.size()) != invocation_prefix) return {};
  path.remove_prefix(invocation_prefix.size());
  if (path == "next") return with_method(method, "GET", {route_kind::next, {}});

  const auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  const std::string_view id = path.substr(0, slash);
  const std::string_view verb = path.substr(slash + 1);
  if (verb == "response") return with_method(method, "POST", {route_kind::response, std::string(id)});
  if (verb == "error") return with_method(method, "POST", {route_kind::error, std::string(id)});
  return {};
}

} // namespace lemu::runtime_api
