#pragma once
// SAM and CloudFormation templates (template.yaml): the functions lemu can run from them, with everything a
// local run needs resolved (parameters, pseudo parameters, conditions, the intrinsics that give local
// values, SAM's Globals). Pure apart from reading files: no process, no network.
//
//   templates::stack s = templates::load("template.yaml", {.parameter_overrides = {{"Stage", "dev"}}});
//   for (const auto& w : s.warnings) log(w);
//   for (const auto& fn : s.functions) ... fn.code_dir / "bootstrap", fn.timeout_seconds, fn.environment ...
//
// YAML through yaml-cpp, which keeps CloudFormation's short tags (!Ref, !Sub, ...) visible; the long forms
// (Ref, Fn::Sub, ...) are the same. JSON templates are YAML too.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lemu::templates {

// Bounds of what is read: a template (CloudFormation itself takes at most 1 MB) and an --env-vars file.
inline constexpr std::size_t max_template_bytes = 8u << 20;
inline constexpr std::size_t max_env_vars_bytes = 1u << 20;

// A template (or --env-vars file) lemu cannot use. what(): one line a user can act on, with the place when
// there is one: "template.yaml:12:5: Resources.Orders.Properties.Timeout: expected a number, got 'abc'".
class template_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One event source of a function (its Events map), as far as lemu routes it.
struct function_event {
  std::string name; // the key under Events
  std::string type; // as written: "Api", "HttpApi", "SQS", "Schedule", ...
  // Api and HttpApi: the route. Method upper case ("ANY" for any method; SAM's "any" too); path as written
  // ("/items/{id}", "/{proxy+}"). An HttpApi event without Path/Method is the catch-all: method "ANY",
  // path "" (HTTP API's $default route).
  std::string method, path;
  // "1.0" for Api; HttpApi: its PayloadFormatVersion (this event's, else the HttpApi resource's it names
  // through ApiId, else "2.0").
  std::string payload_format_version;
  // SQS: the Queue property resolved (an ARN, a URL or a name; "" when unresolvable), BatchSize (default 10),
  // MaximumBatchingWindowInSeconds (0), FunctionResponseTypes contains ReportBatchItemFailures,
  // ScalingConfig.MaximumConcurrency (0: not set), Enabled (default true).
  std::string queue;
  std::uint32_t batch_size = 10;
  std::uint32_t maximum_batching_window_seconds = 0;
  bool report_batch_item_failures = false;
  std::uint32_t maximum_concurrency = 0;
  bool enabled = true;
};

struct function {
  std::string logical_id;    // the key under Resources
  std::string type;          // "AWS::Serverless::Function" | "AWS::Lambda::Function"
  std::string function_name; // FunctionName, else the logical id
  std::string runtime;       // Runtime as written ("" when absent: a container image, or not given)
  std::string package_type;  // PackageType: "Zip" (default) | "Image"
  // The code folder, absolute: CodeUri (Serverless; default the template's folder) or Code (a string, or
  // S3Key/ZipFile... which are not local: then empty and a warning), relative to the template's folder.
  // For a built template (.aws-sam/build/template.yaml) CodeUri already points at the built artifact.
  std::filesystem::path code_dir;
  std::string handler;
  double timeout_seconds = 3;           // Timeout (SAM and Lambda default 3)
  std::uint32_t memory_mb = 128;        // MemorySize (default 128)
  std::vector<std::pair<std::string, std::string>> environment; // Environment.Variables, in template order
  std::string architecture = "x86_64"; // Architectures[0]
  // Layers: folders of AWS::Serverless::LayerVersion (ContentUri) / AWS::Lambda::LayerVersion (Content) of
  // this template, absolute, in order. A layer given as an ARN string is remote: a warning, not here.
  std::vector<std::filesystem::path> layers;
  // LoggingConfig: LogFormat ("Text" | "JSON", "" when not set), ApplicationLogLevel, SystemLogLevel, LogGroup.
  std::string log_format, application_log_level, system_log_level, log_group;
  // FunctionUrlConfig: present -> has_url, InvokeMode "BUFFERED" (default) | "RESPONSE_STREAM";
  // AuthType as written.
  bool has_url = false;
  std::string url_invoke_mode = "BUFFERED";
  std::string url_auth_type;
  // CapacityProviderConfig (Lambda Managed Instances): present -> PerExecutionEnvironmentMaxConcurrency
  // (default 4; found at the top level of the property or under LambdaManagedInstancesCapacityProviderConfig).
  std::optional<std::uint32_t> per_environment_concurrency;
  // TenancyConfig.TenantIsolationMode == "PER_TENANT".
  bool tenant_isolation = false;
  // Metadata.BuildMethod ("rust-cargolambda", "makefile", "go1.x", ... ; "" when none).
  std::string build_method;
  std::vector<function_event> events; // in template order
};

// An AWS::SQS::Queue of the template (lemu serve --sqs-port makes it a local queue). `attributes` are SQS's
// attribute names with their values as text (VisibilityTimeout, DelaySeconds, MessageRetentionPeriod,
// MaximumMessageSize, ReceiveMessageWaitTimeSeconds, FifoQueue, ContentBasedDeduplication);
// RedrivePolicy's deadLetterTargetArn resolved to a queue name (the ARN's last part) and maxReceiveCount.
struct queue {
  std::string logical_id;
  std::string name; // QueueName, else the logical id
  std::map<std::string, std::string> attributes;
  std::string dead_letter_queue;
  std::uint32_t max_receive_count = 0;
};

struct stack {
  std::filesystem::path file;          // the template, absolute
  std::vector<function> functions;     // in template order (only those whose Condition holds)
  std::vector<queue> queues;           // in template order (only those whose Condition holds)
  // Everything lemu read but does not emulate, or could not resolve, one line each, naming the function (or
  // resource) and the property: "Orders: Layers: arn:aws:lambda:...:layer:x:1 is a remote layer: not emulated",
  // "Orders: Environment.Variables.TABLE: !GetAtt Table.Arn cannot be resolved locally: \"\"".
  std::vector<std::string> warnings;

  // The function with this logical id or FunctionName; nullptr when none.
  const function* find(const std::string& id_or_name) const;
};

struct load_options {
  // --parameter-overrides: replace a parameter's Default (a name the template does not declare: an error).
  std::vector<std::pair<std::string, std::string>> parameter_overrides;
  // Pseudo parameters.
  std::string region = "us-east-1";        // AWS::Region
  std::string account_id = "123456789012"; // AWS::AccountId
  std::string stack_name = "lemu";         // AWS::StackName (AWS::StackId, AWS::Partition "aws",
                                           // AWS::URLSuffix "amazonaws.com", AWS::NoValue follow)
};

// Reads and resolves a template. Throws template_error: the file missing or unreadable, a YAML error (with
// file:line:column), no Resources, a property of the wrong type, an override of an undeclared parameter, a
// parameter without Default nor override, a cycle, AllowedValues violated.
stack load(const std::filesystem::path& file, const load_options& options = {});

// The template `lemu ... --template` uses when none is named: DIR/.aws-sam/build/template.yaml, then
// DIR/template.yaml, then DIR/template.yml; nullopt when none exists.
std::optional<std::filesystem::path> find_default_template(const std::filesystem::path& dir);

// --env-vars FILE in SAM's format: {"Parameters": {"K": "V"}, "<LogicalId or FunctionName>": {"K": "V"}}.
// Values that are strings, numbers or booleans (true -> "true"); anything else is an error.
struct env_vars_file {
  std::map<std::string, std::string> all;                                   // "Parameters"
  std::map<std::string, std::map<std::string, std::string>> per_function;    // by logical id or name
};
// Throws template_error (missing file, bad JSON with line/column, a value of the wrong type).
env_vars_file read_env_vars(const std::filesystem::path& file);

// The function's environment as SAM sets it: only the variables the template declares, each from (lowest
// to highest) the template's value, a shell variable of the same name (`shell(name)`, nullptr when unset),
// the file's Parameters, the file's entry for this function (its logical id, else its FunctionName).
// `file` may be nullptr. Template order is kept.
using shell_lookup = const char* (*)(const char*);
std::vector<std::pair<std::string, std::string>> resolve_environment(const function& fn, const env_vars_file* file,
                                                                     shell_lookup shell);

} // namespace lemu::templates
