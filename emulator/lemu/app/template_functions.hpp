#pragma once
// A SAM / CloudFormation template (templates::load) as lemu's functions and front door: what
// `lemu run|replay|serve --template` runs (README "Use your SAM / cargo-lambda project").
//
// Each function's bootstrap: a SAM build's .aws-sam/build/<LogicalId>/bootstrap when the function has a
// Metadata.BuildMethod and that file exists, else <CodeUri>/bootstrap, else (rust-cargolambda) the cargo
// workspace's target/lambda/<package>/bootstrap. Settings come from the template; a function option given
// on the command line (`given`) wins over the template's value for every function. Api events become
// REST routes (payload 1.0, stage Prod, as SAM's implicit API), HttpApi events HTTP API routes (payload
// 2.0; PayloadFormatVersion 1.0: the 1.0 event), FunctionUrlConfig a function URL under
// /lambda-url/<FunctionName>/ (cargo lambda watch's path), all on one front door.

#include <lemu/core/function_config.hpp>
#include <lemu/gateway/front_door.hpp>
#include <lemu/template/template.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace lemu::app {

struct template_request {
  std::filesystem::path file;        // --template FILE; "" : found from `search_dir` (templates::find_default_template)
  std::filesystem::path search_dir;  // where to look when `file` is ""
  templates::load_options load;      // --parameter-overrides, region
  std::filesystem::path env_vars;    // --env-vars FILE ("" : none)
  core::function_config base;        // the command line's function settings (region, limits, logging, streaming)
  std::set<std::string> given;       // function options given on the command line ("--timeout", "--memory", ...)
  std::vector<std::pair<std::string, std::string>> extra_env; // --env and --env-file, set after the template's
  std::vector<std::string> extensions; // --extension
  std::vector<std::string> only;     // logical ids (or FunctionNames) to take; empty: every function
  bool serve = false;                // lemu serve: a function lemu cannot run is skipped with a warning
  std::string name_one = "lemu run --template FILE ID ..."; // how to name one function, for the error of several
};

struct template_functions {
  std::filesystem::path file;                     // the template read, absolute
  std::vector<core::function_config> functions;   // in template order
  std::vector<gateway::front_door_options> apis;  // REST, HTTP, function URL APIs (only those with routes)
  std::vector<std::string> warnings;              // what is read but not emulated, one line each
  // The template's AWS::SQS::Queue resources as --sqs-queue specs, and its functions' SQS events (on those
  // queues) as --sqs-trigger specs (QUEUE=FUNCTION:batch=…), with the event each comes from.
  std::vector<std::string> sqs_queues;
  std::vector<std::string> sqs_triggers;
  std::vector<std::string> sqs_trigger_events;    // "Orders: Events.Queue", one per trigger
};

// Throws core::usage_error for a template lemu cannot use (its file:line:column when YAML is wrong), a
// function id it does not have (listing those it has), a function it cannot run (naming its runtime),
// a missing bootstrap (naming the path tried and the build command), two functions with one route.
template_functions load_template(const template_request& r);

} // namespace lemu::app
