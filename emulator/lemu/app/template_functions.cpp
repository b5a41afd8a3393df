#include <lemu/app/template_functions.hpp>

#include <lemu/app/function_sandbox.hpp>

#include <lemu/app/build_trees.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/gateway/routes.hpp>
#include <lemu/process/bootstrap.hpp>
#include <lemu/process/environment.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

namespace lemu::app {

namespace fs = std::filesystem;

namespace {

// [package] name = "..." of a Cargo.toml ("" when there is none).
std::string cargo_package_name(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::string line;
  bool package = false;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line[first] == '[') {
      package = line.compare(first, 9, "[package]") == 0;
      continue;
    }
    if (!package || line.compare(first, 4, "name") != 0) continue;
    const auto q1 = line.find('"', first), q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
    if (q2 != std::string::npos) return line.substr(q1 + 1, q2 - q1 - 1);
  }
  return {};
}

bool built_template(const fs::path& file) {
  return file.parent_path().filename() == "build" && file.parent_path().parent_path().filename() == ".aws-sam";
}

std::string build_hint(const templates::function& t) {
  if (t.build_method == "rust-cargolambda") return "build it: sam build, or cargo lambda build in " + t.code_dir.string();
  if (t.build_method == "makefile") return "build it: sam build (it runs the Makefile's build-" + t.logical_id + " target)";
  return "put the function's executable there, named bootstrap (provided.al2023 runs CodeUri/bootstrap)";
}

// Where the function's bootstrap is; throws usage_error naming what was tried.
fs::path find_bootstrap(const templates::function& t, const fs::path& template_file) {
  std::error_code ec;
  std::vector<fs::path> tried;
  if (!t.build_method.empty() && !built_template(template_file)) {
    const fs::path built = template_file.parent_path() / ".aws-sam" / "build" / t.logical_id / "bootstrap";
    if (fs::exists(built, ec)) return built;
    tried.push_back(built);
  }
  const fs::path own = t.code_dir / "bootstrap";
  if (fs::exists(own, ec)) return own;
  tried.push_back(own);
  if (t.build_method == "rust-cargolambda") {
    const std::string package = cargo_package_name(t.code_dir / "Cargo.toml");
    if (!package.empty()) {
      try {
        return find_cargo_lambda(package, t.code_dir);
      } catch (const core::usage_error&) {
        const fs::path root = cargo_workspace(t.code_dir);
        if (!root.empty()) tried.push_back(root / "target" / "lambda" / package / "bootstrap");
      }
    }
  }
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.lexically_normal().string();
  throw core::usage_error(t.logical_id + ": no bootstrap (tried " + list + "): " + build_hint(t));
}

// Why lemu cannot run the function ("" when it can).
std::string unrunnable(const templates::function& t) {
  if (t.package_type == "Image") {
    return "PackageType Image: not supported yet (run the image with its own entrypoint, or lemu rie inside it)";
  }
  static const char* provided[] = {"provided.al2023", "provided.al2", "provided", ""};
  if (std::find(std::begin(provided), std::end(provided), t.runtime) == std::end(provided)) {
    return "runtime " + t.runtime + ": not supported yet (lemu runs provided.al2023 and provided.al2 functions: an "
           "executable bootstrap in the code folder)";
  }
  if (t.code_dir.empty()) return "its code is not in a local folder (CodeUri/Code points at S3 or is inline)";
  return {};
}

// One route for the front door: "METHOD PATH=FUNCTION".
gateway::route route_of(const std::string& method, const std::string& path, const std::string& function,
                        const std::string& where) {
  try {
    return gateway::parse_route(method + " " + path + "=" + function);
  } catch (const std::invalid_argument& e) {
    throw core::usage_error(where + ": " + e.what());
  }
}

struct api_routes {
  gateway::front_door_options options;
  std::map<std::string, std::string> owner; // route key -> "Orders (Api event GetOrder)"
};

// Warnings that say the same of several functions ("A: Tracing is not emulated", "B: Tracing is not emulated",
// as Globals give every function the property) as one line naming them all: "A, B: Tracing is not emulated".
std::vector<std::string> merged_warnings(const std::vector<std::string>& warnings, const std::set<std::string>& ids) {
  std::vector<std::pair<std::string, std::string>> merged; // what is said, whom it is said of
  for (const auto& w : warnings) {
    const auto colon = w.find(": ");
    const std::string id = colon == std::string::npos ? std::string() : w.substr(0, colon);
    if (!ids.contains(id)) {
      merged.emplace_back(w, std::string());
      continue;
    }
    const std::string what = w.substr(colon + 2);
    const auto same = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return !m.second.empty() && m.first == what; });
    if (same != merged.end()) {
      same->second += ", " + id;
    } else {
      merged.emplace_back(what, id);
    }
  }
  std::vector<std::string> out;
  for (const auto& [what, who] : merged) out.push_back(who.empty() ? what : who + ": " + what);
  return out;
}

} // namespace

template_functions load_template(const template_request& r) {
  fs::path file = r.file;
  if (file.empty()) {
    const auto found = templates::find_default_template(r.search_dir.empty() ? fs::current_path() : r.search_dir);
    if (!found) {
      throw core::usage_error("--template: no template.yaml here (looked for .aws-sam/build/template.yaml, template.yaml, "
                              "template.yml in " + (r.search_dir.empty() ? fs::current_path() : r.search_dir).string() +
                              "): name one, --template FILE");
    }
    file = *found;
  }
  templates::stack stack;
  templates::env_vars_file env_file;
  try {
    stack = templates::load(file, r.load);
    if (!r.env_vars.empty()) env_file = templates::read_env_vars(r.env_vars);
  } catch (const templates::template_error& e) {
    throw core::usage_error(e.what());
  }
  template_functions out;
  out.file = stack.file;
  out.warnings = stack.warnings;
  for (const templates::queue& q : stack.queues) {
    std::string spec = q.name;
    std::string sep = ":";
    for (const auto& [k, v] : q.attributes) {
      spec += sep + k + "=" + v;
      sep = ",";
    }
    if (!q.dead_letter_queue.empty()) {
      spec += sep + "deadLetterQueue=" + q.dead_letter_queue + ",maxReceiveCount=" +
              std::to_string(q.max_receive_count ? q.max_receive_count : 5);
    }
    out.sqs_queues.push_back(std::move(spec));
  }

  std::vector<const templates::function*> chosen;
  for (const auto& id : r.only) {
    const templates::function* f = stack.find(id);
    if (!f) {
      std::string have;
      for (const auto& fn : stack.functions) have += (have.empty() ? "" : ", ") + fn.logical_id;
      throw core::usage_error(stack.file.string() + ": no function " + id + (have.empty() ? " (it has none)" : " (it has " + have + ")"));
    }
    chosen.push_back(f);
  }
  if (r.only.empty()) {
    if (!r.serve && stack.functions.size() > 1) {
      std::string ids;
      for (const auto& fn : stack.functions) ids += (ids.empty() ? "" : ", ") + fn.logical_id;
      throw core::usage_error(stack.file.string() + " has " + std::to_string(stack.functions.size()) + " functions (" + ids +
                              "): name one: " + r.name_one);
    }
    for (const auto& fn : stack.functions) chosen.push_back(&fn);
  }
  if (chosen.empty()) throw core::usage_error(stack.file.string() + ": no AWS::Serverless::Function or AWS::Lambda::Function in it");

  api_routes rest, http, url;
  rest.options.kind = gateway::api_kind::rest;
  rest.options.stage = "Prod"; // SAM's implicit API
  http.options.kind = gateway::api_kind::http;
  url.options.kind = gateway::api_kind::url;
  for (api_routes* a : {&rest, &http, &url}) {
    a->options.region = r.base.region;
    a->options.account_id = r.base.account_id;
  }
  const auto add_route = [](api_routes& api, api_routes* others[2], gateway::route route, const std::string& owner) {
    const std::string key = route.key();
    for (api_routes* a : {&api, others[0], others[1]}) {
      if (const auto it = a->owner.find(key); it != a->owner.end()) {
        throw core::usage_error("route conflict: " + key + " is served by " + it->second + " and by " + owner);
      }
    }
    api.owner[key] = owner;
    api.options.routes.push_back(std::move(route));
  };

  for (const templates::function* t : chosen) {
    if (const std::string why = unrunnable(*t); !why.empty()) {
      if (r.serve && r.only.empty()) {
        out.warnings.push_back(t->logical_id + ": " + why + ": not served");
        continue;
      }
      throw core::usage_error(t->logical_id + ": " + why);
    }
    core::function_config fn = r.base;
    fn.bootstrap = fs::absolute(find_bootstrap(*t, stack.file)).lexically_normal();
    fn.function_name = t->function_name;
    const auto given = [&](const char* option) { return r.given.contains(option); };
    if (!given("--handler") && !t->handler.empty()) fn.handler = t->handler;
    if (!given("--timeout")) {
      fn.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(t->timeout_seconds));
    }
    if (!given("--memory")) fn.memory_mb = t->memory_mb;
    fn.env = templates::resolve_environment(*t, r.env_vars.empty() ? nullptr : &env_file, [](const char* name) -> const char* { return std::getenv(name); });
    for (const auto& v : r.extra_env) fn.env.push_back(v);
    for (const auto& [var, value] : fn.env) process::check_user_variable(var);
    if (!given("--log-format") && !t->log_format.empty()) {
      fn.log_format = t->log_format == "JSON" ? core::log_format::json : core::log_format::text;
    }
    if (fn.log_format == core::log_format::json) {
      if (!given("--log-level") && !t->application_log_level.empty()) {
        fn.application_log_level = core::parse_log_level(t->application_log_level);
      }
      if (!given("--system-log-level") && !t->system_log_level.empty()) {
        fn.system_log_level = core::parse_log_level(t->system_log_level);
      }
    }
    if (t->per_environment_concurrency && !given("--per-environment-concurrency")) {
      fn.per_environment_concurrency = *t->per_environment_concurrency;
      fn.log_format = core::log_format::json; // Lambda Managed Instances log only in JSON
    }
    if (t->tenant_isolation) fn.tenant_isolation = true;
    if (t->has_url && t->url_invoke_mode == "RESPONSE_STREAM") fn.invoke_mode = core::invoke_mode::response_stream;
    if (!given("--architecture")) fn.architecture = t->architecture;
    if (!given("--layer")) {
      for (const auto& layer : t->layers) fn.layers.push_back(layer);
    }
    process::check_extensions(fn, r.extensions);
    for (auto& w : prepare_function(fn)) out.warnings.push_back(t->logical_id + ": " + std::move(w));

    for (const auto& e : t->events) {
      const std::string owner = t->logical_id + " (" + e.type + " event " + e.name + ")";
      const std::string where = t->logical_id + ": Events." + e.name;
      if (e.type == "Api") {
        api_routes* others[2] = {&http, &url};
        add_route(rest, others, route_of(e.method, e.path, fn.function_name, where), owner);
      } else if (e.type == "HttpApi") {
        api_routes& api = e.payload_format_version == "1.0" ? rest : http;
        api_routes* others[2] = {e.payload_format_version == "1.0" ? &http : &rest, &url};
        if (e.path.empty()) { // the $default route: every path
          add_route(api, others, route_of("ANY", "/", fn.function_name, where), owner);
          add_route(api, others, route_of("ANY", "/{proxy+}", fn.function_name, where), owner);
        } else {
          add_route(api, others, route_of(e.method, e.path, fn.function_name, where), owner);
        }
      } else if (e.type == "SQS") {
        // The queue as the event names it (an ARN, a URL or a name): one of the template's queues.
        const std::string queue = e.queue.substr(e.queue.find_last_of(":/") == std::string::npos ? 0 : e.queue.find_last_of(":/") + 1);
        const bool ours = std::any_of(stack.queues.begin(), stack.queues.end(), [&](const templates::queue& q) { return q.name == queue; });
        if (!ours) {
          out.warnings.push_back(where + " (SQS): the queue '" + e.queue + "' is not an AWS::SQS::Queue of this template: not "
                                 "emulated (poll a queue elsewhere with --sqs-endpoint URL --sqs-trigger QUEUE_URL=FUNCTION)");
        } else if (!e.enabled) {
          out.warnings.push_back(where + " (SQS): Enabled is false: not started");
        } else {
          std::string spec = queue + "=" + fn.function_name + ":batch=" + std::to_string(e.batch_size);
          if (e.maximum_batching_window_seconds) spec += ",window=" + std::to_string(e.maximum_batching_window_seconds);
          if (e.report_batch_item_failures) spec += ",report-failures";
          if (e.maximum_concurrency) spec += ",max-concurrency=" + std::to_string(e.maximum_concurrency);
          out.sqs_triggers.push_back(std::move(spec));
          out.sqs_trigger_events.push_back(where);
        }
      } else {
        out.warnings.push_back(where + " (" + e.type + "): not emulated");
      }
    }
    if (t->has_url) {
      api_routes* others[2] = {&rest, &http};
      const std::string prefix = "/lambda-url/" + fn.function_name;
      for (const char* p : {"", "/{proxy+}"}) {
        gateway::route route = route_of("ANY", prefix + p, fn.function_name, t->logical_id + ": FunctionUrlConfig");
        route.strip_prefix = prefix;
        add_route(url, others, std::move(route), t->logical_id + " (FunctionUrlConfig)");
      }
    }
    out.functions.push_back(std::move(fn));
  }
  if (out.functions.empty()) throw core::usage_error(stack.file.string() + ": no function lemu can run in it");
  for (api_routes* a : {&rest, &http, &url}) {
    if (!a->options.routes.empty()) out.apis.push_back(a->options);
  }
  std::set<std::string> ids;
  for (const auto& fn : stack.functions) ids.insert(fn.logical_id);
  out.warnings = merged_warnings(out.warnings, ids);
  return out;
}

} // namespace lemu::app
