// A function resource of the template (AWS::Serverless::Function, AWS::Lambda::Function) as lemu runs it.
#include <lemu/template/properties.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace lemu::templates::detail {
namespace {

// Properties that change how a function behaves in AWS and that lemu does not emulate: a warning each.
constexpr std::array<std::string_view, 19> not_emulated = {
    "VpcConfig",       "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "DeadLetterQueue",
    "DeadLetterConfig", "EventInvokeConfig",           "Tracing",                      "TracingConfig",
    "AutoPublishAlias", "DeploymentPreference",         "SnapStart",                    "EphemeralStorage",
    "FileSystemConfigs", "ImageUri",                    "ImageConfig",                  "RuntimeManagementPolicy",
    "RecursiveLoop",    "KmsKeyArn",                    "CodeSigningConfigArn"};

std::filesystem::path local_path(const std::filesystem::path& template_dir, const std::string& path) {
  std::filesystem::path p = (template_dir / path).lexically_normal();
  if (p.has_parent_path() && p.filename().empty()) p = p.parent_path(); // "orders/" is the folder orders
  return p;
}

bool is_s3(const std::string& s) { return s.starts_with("s3://"); }

// CodeUri / ContentUri / Code / Content: a local folder, or (an S3 object, inline code) empty and a warning.
std::filesystem::path code_location(property_reader& p, const at& a, const std::filesystem::path& template_dir,
                                    const std::string& what) {
  const auto value = p.value(a);
  if (!value) return template_dir;
  if (value->IsScalar()) {
    const std::string s = value->Scalar();
    if (!is_s3(s)) return local_path(template_dir, s);
    p.warn(what, s + " is not local: not emulated");
    return {};
  }
  if (value->IsMap()) {
    std::string bucket, key;
    for (const char* b : {"Bucket", "S3Bucket"})
      if (const YAML::Node v = child(*value, b); v.IsDefined() && v.IsScalar()) bucket = v.Scalar();
    for (const char* k : {"Key", "S3Key"})
      if (const YAML::Node v = child(*value, k); v.IsDefined() && v.IsScalar()) key = v.Scalar();
    if (child(*value, "ZipFile").IsDefined()) {
      p.warn(what, "inline code (ZipFile) is not emulated");
    } else if (child(*value, "ImageUri").IsDefined()) {
      p.warn(what, "an image (ImageUri) is not emulated");
    } else {
      p.warn(what, "s3://" + bucket + "/" + key + " is not local: not emulated");
    }
    return {};
  }
  p.fail(a, "expected a path or a map, got " + describe(*value));
}

// A Layers item: this template's layer resource (named through !Ref: its logical id), else a remote layer.
void add_layer(property_reader& p, function& fn, const at& item, const std::filesystem::path& template_dir) {
  const auto name = p.string(item);
  if (!name || name->empty()) return;
  resolver& r = p.r();
  const std::string type = r.resource_type(*name);
  if (type != "AWS::Serverless::LayerVersion" && type != "AWS::Lambda::LayerVersion") {
    p.warn("Layers", *name + " is a remote layer: not emulated");
    return;
  }
  const bool serverless = type == "AWS::Serverless::LayerVersion";
  const YAML::Node layer = r.resource(*name);
  property_reader lp(r, *name, "Resources." + *name + ".Properties");
  const at properties{child(layer, "Properties"), layer.Mark(), ""};
  const char* key = serverless ? "ContentUri" : "Content";
  const at content = find(lp.entries(properties), key, properties);
  if (!content.raw.IsDefined()) {
    p.warn("Layers", *name + " has no " + key + ": not emulated");
    return;
  }
  const auto dir = code_location(lp, content, template_dir, key);
  if (!dir.empty()) fn.layers.push_back(dir);
}

void read_logging(property_reader& p, function& fn, const at& a) {
  const entries_t e = p.entries(a);
  fn.log_format = p.string(find(e, "LogFormat", a)).value_or("");
  fn.application_log_level = p.string(find(e, "ApplicationLogLevel", a)).value_or("");
  fn.system_log_level = p.string(find(e, "SystemLogLevel", a)).value_or("");
  fn.log_group = p.string(find(e, "LogGroup", a)).value_or("");
}

void read_url(property_reader& p, function& fn, const at& a) {
  if (!p.value(a)) return;
  fn.has_url = true;
  const entries_t e = p.entries(a);
  fn.url_invoke_mode = p.string(find(e, "InvokeMode", a)).value_or("BUFFERED");
  fn.url_auth_type = p.string(find(e, "AuthType", a)).value_or("");
}

void read_capacity(property_reader& p, function& fn, const at& a) {
  if (!p.value(a)) return;
  const entries_t e = p.entries(a);
  auto concurrency = p.count(find(e, "PerExecutionEnvironmentMaxConcurrency", a));
  const at managed = find(e, "LambdaManagedInstancesCapacityProviderConfig", a);
  if (!concurrency) concurrency = p.count(find(p.entries(managed), "PerExecutionEnvironmentMaxConcurrency", managed));
  fn.per_environment_concurrency = concurrency.value_or(4);
}

} // namespace

std::optional<queue> read_queue(resolver& r, const std::string& id, const YAML::Node& resource) {
  if (const YAML::Node condition = child(resource, "Condition"); condition.IsDefined()) {
    if (!condition.IsScalar())
      fail(r.file(), condition.Mark(), "Resources." + id + ".Condition", "expected a condition name, got " + describe(condition));
    if (!r.condition(condition.Scalar(), condition.Mark())) return std::nullopt;
  }
  queue q;
  q.logical_id = id;
  property_reader p(r, id, "Resources." + id + ".Properties");
  const YAML::Node raw = child(resource, "Properties");
  if (raw.IsDefined() && !raw.IsNull() && !raw.IsMap())
    fail(r.file(), raw.Mark(), "Resources." + id + ".Properties", "expected a map, got " + describe(raw));
  const at properties{raw, raw.IsDefined() ? raw.Mark() : resource.Mark(), ""};
  for (const auto& [key, value] : p.entries(properties)) {
    if (key == "QueueName") {
      q.name = p.string(value).value_or("");
    } else if (key == "VisibilityTimeout" || key == "DelaySeconds" || key == "MessageRetentionPeriod" ||
               key == "MaximumMessageSize" || key == "ReceiveMessageWaitTimeSeconds") {
      if (const auto n = p.count(value)) q.attributes[key] = std::to_string(*n);
    } else if (key == "FifoQueue" || key == "ContentBasedDeduplication") {
      if (const auto b = p.boolean(value)) q.attributes[key] = *b ? "true" : "false";
    } else if (key == "RedrivePolicy") {
      const entries_t policy = p.entries(value);
      const auto arn = p.string(find(policy, "deadLetterTargetArn", value)).value_or("");
      q.dead_letter_queue = arn.substr(arn.rfind(':') + 1);
      q.max_receive_count = p.count(find(policy, "maxReceiveCount", value)).value_or(0);
      if (q.dead_letter_queue.empty()) p.warn(value.path, "deadLetterTargetArn cannot be resolved locally: no dead-letter queue");
    } else if (key != "Tags") {
      p.warn(value.path, "not emulated");
    }
  }
  if (q.name.empty()) q.name = id;
  return q;
}

std::optional<function> read_function(resolver& r, const std::string& id, const YAML::Node& resource,
                                      const YAML::Node& globals, const std::filesystem::path& template_dir) {
  function fn;
  fn.logical_id = id;
  fn.type = child(resource, "Type").Scalar();
  const bool serverless = fn.type == "AWS::Serverless::Function";
  if (const YAML::Node condition = child(resource, "Condition"); condition.IsDefined()) {
    if (!condition.IsScalar())
      fail(r.file(), condition.Mark(), "Resources." + id + ".Condition", "expected a condition name, got " + describe(condition));
    if (!r.condition(condition.Scalar(), condition.Mark())) return std::nullopt;
  }
  property_reader p(r, id, "Resources." + id + ".Properties");
  YAML::Node raw = child(resource, "Properties");
  if (raw.IsDefined() && !raw.IsNull() && !raw.IsMap())
    fail(r.file(), raw.Mark(), "Resources." + id + ".Properties", "expected a map, got " + describe(raw));
  if (serverless) raw = merge_globals(globals, raw.IsDefined() && !raw.IsNull() ? raw : YAML::Node(YAML::NodeType::Map));
  const at properties{raw, raw.Mark().is_null() ? resource.Mark() : raw.Mark(), ""};
  const entries_t e = p.entries(properties);
  const auto get = [&](const char* key) { return find(e, key, properties); };

  fn.function_name = p.string(get("FunctionName")).value_or(id);
  if (fn.function_name.empty()) fn.function_name = id;
  fn.runtime = p.string(get("Runtime")).value_or("");
  fn.package_type = p.string(get("PackageType")).value_or("Zip");
  fn.handler = p.string(get("Handler")).value_or("");
  if (serverless) {
    if (get("InlineCode").raw.IsDefined()) {
      p.warn("", "InlineCode is not emulated");
    } else {
      fn.code_dir = code_location(p, get("CodeUri"), template_dir, "CodeUri");
    }
  } else if (const at code = get("Code"); code.raw.IsDefined()) {
    fn.code_dir = code_location(p, code, template_dir, "Code");
  } else if (fn.package_type != "Image") {
    p.warn("", "no Code: not emulated");
  }
  fn.timeout_seconds = p.number(get("Timeout")).value_or(3);
  fn.memory_mb = p.count(get("MemorySize")).value_or(128);
  const at environment = get("Environment");
  const at variables = find(p.entries(environment), "Variables", environment);
  for (const auto& [name, v] : p.entries(variables)) {
    if (const auto value = p.string(v)) fn.environment.emplace_back(name, *value);
  }
  if (const auto architectures = p.items(get("Architectures")); !architectures.empty())
    fn.architecture = p.string(architectures.front()).value_or("x86_64");
  for (const auto& layer : p.items(get("Layers"))) add_layer(p, fn, layer, template_dir);
  read_logging(p, fn, get("LoggingConfig"));
  read_url(p, fn, get("FunctionUrlConfig"));
  read_capacity(p, fn, get("CapacityProviderConfig"));
  const at tenancy = get("TenancyConfig");
  fn.tenant_isolation = p.string(find(p.entries(tenancy), "TenantIsolationMode", tenancy)) == "PER_TENANT";
  fn.events = read_events(p, get("Events"));
  for (const auto& [name, v] : e)
    if (std::find(not_emulated.begin(), not_emulated.end(), name) != not_emulated.end() && p.present(v))
      p.warn("", name + " is not emulated");

  property_reader metadata(r, id, "Resources." + id + ".Metadata");
  const at meta{child(resource, "Metadata"), resource.Mark(), ""};
  fn.build_method = metadata.string(find(metadata.entries(meta), "BuildMethod", meta)).value_or("");
  return fn;
}

} // namespace lemu::templates::detail
