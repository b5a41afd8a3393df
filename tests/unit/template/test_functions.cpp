// Functions read from the fixtures under tests/data/templates, SAM's Globals, properties and their errors.
#include "template_test.hpp"

#include <gmock/gmock.h>

namespace lemu::templates::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(TemplateFunctions, SamTwoFunctionsFixture) {
  const auto file = fixture("sam-two-functions/template.yaml");
  const stack st = load(file);
  EXPECT_EQ(st.file, file);
  ASSERT_EQ(st.functions.size(), 3u); // ProdOnlyFunction's condition is false for Stage dev
  EXPECT_EQ(st.find("ProdOnlyFunction"), nullptr);

  const function& orders = *st.find("OrdersFunction");
  EXPECT_EQ(&orders, st.find("lemu-orders-dev"));
  EXPECT_EQ(orders.type, "AWS::Serverless::Function");
  EXPECT_EQ(orders.function_name, "lemu-orders-dev");
  EXPECT_EQ(orders.code_dir, file.parent_path() / "orders");
  EXPECT_EQ(orders.runtime, "provided.al2023");
  EXPECT_EQ(orders.handler, "bootstrap");
  EXPECT_EQ(orders.package_type, "Zip");
  EXPECT_EQ(orders.architecture, "arm64");
  EXPECT_EQ(orders.timeout_seconds, 10);
  EXPECT_EQ(orders.memory_mb, 256u);
  EXPECT_EQ(orders.build_method, "rust-cargolambda");
  EXPECT_THAT(orders.environment,
              ElementsAre(Pair("STAGE", "dev"), Pair("LOG_LEVEL", "DEBUG"), Pair("POWERTOOLS_SERVICE_NAME", "orders"),
                          Pair("TABLE_NAME", "orders-table"),
                          Pair("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dev"),
                          Pair("FIRST_ORIGIN", "https://example.com"),
                          Pair("ORIGINS", "https://example.com,https://admin.example.com"),
                          Pair("REGION_TABLE", "us-east-1/orders-table"), Pair("DEBUG", "true"),
                          Pair("MAX_ITEMS", "25")));
  EXPECT_THAT(orders.layers, IsEmpty()); // the Globals' layer is remote
  ASSERT_EQ(orders.events.size(), 2u);
  EXPECT_EQ(orders.events[0].name, "CreateOrder");
  EXPECT_EQ(orders.events[0].type, "Api");
  EXPECT_EQ(orders.events[0].method, "POST");
  EXPECT_EQ(orders.events[0].path, "/orders");
  EXPECT_EQ(orders.events[0].payload_format_version, "1.0");
  EXPECT_EQ(orders.events[1].path, "/orders/{id}");
  EXPECT_EQ(orders.events[1].method, "GET");

  const function& reports = *st.find("ReportsFunction");
  EXPECT_EQ(reports.function_name, "ReportsFunction");
  EXPECT_EQ(reports.code_dir, file.parent_path() / "reports");
  EXPECT_EQ(reports.timeout_seconds, 20);
  EXPECT_EQ(reports.memory_mb, 128u);
  EXPECT_EQ(env(reports, "ORDERS_FUNCTION"), "lemu-orders-dev");
  EXPECT_EQ(env(reports, "ORDERS_ARN"), "arn:aws:lambda:us-east-1:123456789012:function:lemu-orders-dev");
  ASSERT_EQ(reports.events.size(), 2u);
  EXPECT_EQ(reports.events[0].type, "HttpApi");
  EXPECT_EQ(reports.events[0].method, "GET");
  EXPECT_EQ(reports.events[0].path, "/reports/{proxy+}");
  EXPECT_EQ(reports.events[0].payload_format_version, "2.0");
  EXPECT_EQ(reports.events[1].method, "ANY"); // no Path nor Method: the $default route
  EXPECT_EQ(reports.events[1].path, "");

  const function& consumer = *st.find("QueueConsumerFunction");
  EXPECT_EQ(consumer.handler, "consumer");
  ASSERT_EQ(consumer.events.size(), 2u);
  const function_event& sqs = consumer.events[0];
  EXPECT_EQ(sqs.type, "SQS");
  EXPECT_EQ(sqs.queue, "arn:aws:sqs:us-east-1:123456789012:orders-dev");
  EXPECT_EQ(sqs.batch_size, 5u);
  EXPECT_EQ(sqs.maximum_batching_window_seconds, 2u);
  EXPECT_TRUE(sqs.report_batch_item_failures);
  EXPECT_EQ(sqs.maximum_concurrency, 2u);
  EXPECT_TRUE(sqs.enabled);
  EXPECT_EQ(consumer.events[1].type, "Schedule"); // kept as written; the caller warns
  EXPECT_EQ(consumer.events[1].name, "Nightly");

  const std::string remote = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20";
  EXPECT_THAT(st.warnings, ElementsAre("OrdersFunction: Layers: " + remote + " is a remote layer: not emulated",
                                       "OrdersFunction: Tracing is not emulated",
                                       "ReportsFunction: Layers: " + remote + " is a remote layer: not emulated",
                                       "ReportsFunction: Tracing is not emulated",
                                       "QueueConsumerFunction: Layers: " + remote + " is a remote layer: not emulated",
                                       "QueueConsumerFunction: Tracing is not emulated"));

  const stack prod = load(file, {.parameter_overrides = {{"Stage", "prod"}}});
  ASSERT_EQ(prod.functions.size(), 4u);
  EXPECT_EQ(prod.find("OrdersFunction")->memory_mb, 1024u);
  EXPECT_EQ(prod.find("lemu-orders-prod")->timeout_seconds, 30);
  EXPECT_EQ(env(*prod.find("OrdersFunction"), "DEBUG"), "false");
  EXPECT_NE(prod.find("ProdOnlyFunction"), nullptr);
}

TEST(TemplateFunctions, CloudFormationFixture) {
  const auto file = fixture("cloudformation/template.yaml");
  const stack st = load(file);
  ASSERT_EQ(st.functions.size(), 3u);
  const function& fn = *st.find("cfn-handler");
  EXPECT_EQ(fn.logical_id, "HandlerFunction");
  EXPECT_EQ(fn.type, "AWS::Lambda::Function");
  EXPECT_EQ(fn.code_dir, file.parent_path() / "handler");
  EXPECT_EQ(fn.timeout_seconds, 15);
  EXPECT_EQ(fn.memory_mb, 512u);
  EXPECT_EQ(fn.architecture, "x86_64");
  EXPECT_EQ(fn.log_format, "JSON");
  EXPECT_EQ(fn.application_log_level, "DEBUG");
  EXPECT_EQ(fn.system_log_level, "WARN");
  EXPECT_EQ(fn.log_group, "");
  EXPECT_THAT(fn.environment, ElementsAre(Pair("ROLE_ARN", ""), Pair("ENABLED", "true"), Pair("RATIO", "0.5")));
  EXPECT_TRUE(st.find("InlineFunction")->code_dir.empty());
  EXPECT_TRUE(st.find("S3Function")->code_dir.empty());
  EXPECT_THAT(st.warnings,
              ElementsAre("HandlerFunction: Environment.Variables.ROLE_ARN: !GetAtt HandlerRole.Arn cannot be resolved "
                          "locally: \"\"",
                          "HandlerFunction: VpcConfig is not emulated",
                          "InlineFunction: Code: inline code (ZipFile) is not emulated",
                          "S3Function: Code: s3://my-artifacts/handler.zip is not local: not emulated"));
}

TEST(TemplateFunctions, LayersFixture) {
  const auto file = fixture("layers/template.yaml");
  const stack st = load(file);
  ASSERT_EQ(st.functions.size(), 1u);
  const function& fn = st.functions[0];
  const auto dir = file.parent_path();
  EXPECT_THAT(fn.layers, ElementsAre(dir / "layers/shared", dir / "layers/tools"));
  EXPECT_TRUE(fn.has_url);
  EXPECT_EQ(fn.url_invoke_mode, "RESPONSE_STREAM");
  EXPECT_EQ(fn.url_auth_type, "NONE");
  EXPECT_EQ(fn.per_environment_concurrency, 16u);
  EXPECT_TRUE(fn.tenant_isolation);
  EXPECT_THAT(st.warnings,
              ElementsAre("RemoteContentLayer: Content: s3://my-layers/big.zip is not local: not emulated",
                          "ApiFunction: Layers: arn:aws:lambda:us-east-1:123456789012:layer:remote:3 is a remote "
                          "layer: not emulated"));
}

TEST(TemplateFunctions, DefaultsOfAFunctionWithNoProperties) {
  scratch s;
  const stack st = load_text(s, "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n");
  const function& fn = st.functions.at(0);
  EXPECT_EQ(fn.function_name, "Fn");
  EXPECT_EQ(fn.code_dir, std::filesystem::absolute(s.dir()).lexically_normal());
  EXPECT_EQ(fn.timeout_seconds, 3);
  EXPECT_EQ(fn.memory_mb, 128u);
  EXPECT_EQ(fn.architecture, "x86_64");
  EXPECT_EQ(fn.package_type, "Zip");
  EXPECT_FALSE(fn.has_url);
  EXPECT_EQ(fn.url_invoke_mode, "BUFFERED");
  EXPECT_FALSE(fn.per_environment_concurrency);
  EXPECT_FALSE(fn.tenant_isolation);
  EXPECT_THAT(st.warnings, IsEmpty());
}

TEST(TemplateFunctions, GlobalsMergeMapsListsAndScalars) {
  scratch s;
  const stack st = load_text(s, "Globals:\n"
                                "  Function:\n"
                                "    Timeout: 30\n"
                                "    Runtime: provided.al2023\n"
                                "    Layers: [!Ref A]\n"
                                "    Environment:\n"
                                "      Variables: {SHARED: g, OVERRIDDEN: g}\n"
                                "    LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: INFO}\n"
                                "    FunctionUrlConfig: !Ref AWS::NoValue\n"
                                "Resources:\n"
                                "  A: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: a}}\n"
                                "  B: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: b}}\n"
                                "  Fn:\n"
                                "    Type: AWS::Serverless::Function\n"
                                "    Properties:\n"
                                "      Timeout: 7\n"
                                "      Layers: [!Ref B]\n"
                                "      Environment:\n"
                                "        Variables: {OVERRIDDEN: f, OWN: f}\n"
                                "      LoggingConfig: {ApplicationLogLevel: DEBUG}\n"
                                "      FunctionUrlConfig: {AuthType: AWS_IAM}\n"
                                "  Plain:\n"
                                "    Type: AWS::Serverless::Function\n"
                                "  Cfn:\n"
                                "    Type: AWS::Lambda::Function\n"
                                "    Properties: {Code: x}\n");
  const function& fn = *st.find("Fn");
  EXPECT_EQ(fn.timeout_seconds, 7);             // scalar: the function's
  EXPECT_EQ(fn.runtime, "provided.al2023");     // absent: the Globals'
  EXPECT_THAT(fn.layers, ElementsAre(s.dir() / "a", s.dir() / "b")); // lists: Globals first
  EXPECT_THAT(fn.environment, ElementsAre(Pair("SHARED", "g"), Pair("OVERRIDDEN", "f"), Pair("OWN", "f")));
  EXPECT_EQ(fn.log_format, "JSON"); // maps merged key by key
  EXPECT_EQ(fn.application_log_level, "DEBUG");
  EXPECT_TRUE(fn.has_url); // an intrinsic in Globals is a scalar: the function's map wins
  EXPECT_EQ(fn.url_auth_type, "AWS_IAM");
  const function& plain = *st.find("Plain");
  EXPECT_EQ(plain.timeout_seconds, 30);
  EXPECT_FALSE(plain.has_url);
  EXPECT_THAT(plain.environment, ElementsAre(Pair("SHARED", "g"), Pair("OVERRIDDEN", "g")));
  const function& cfn = *st.find("Cfn"); // Globals are SAM's: not for AWS::Lambda::Function
  EXPECT_EQ(cfn.timeout_seconds, 3);
  EXPECT_EQ(cfn.runtime, "");
  EXPECT_THAT(cfn.environment, IsEmpty());
}

TEST(TemplateFunctions, PropertyValuesAndEvents) {
  scratch s;
  const stack st = load_text(s, "Resources:\n"
                                "  Fn:\n"
                                "    Type: AWS::Serverless::Function\n"
                                "    Properties:\n"
                                "      CodeUri: ../elsewhere/./fn/\n"
                                "      PackageType: Image\n"
                                "      ImageUri: fn:latest\n"
                                "      Timeout: '2.5'\n"
                                "      Role: arn:aws:iam::123456789012:role/x\n"
                                "      Policies: [AWSLambdaBasicExecutionRole]\n"
                                "      Description: not a warning\n"
                                "      Tags: {team: orders}\n"
                                "      ReservedConcurrentExecutions: 5\n"
                                "      VpcConfig: !If [Never, {SubnetIds: [a]}, !Ref AWS::NoValue]\n"
                                "      CapacityProviderConfig: {PerExecutionEnvironmentMaxConcurrency: 8}\n"
                                "      Environment:\n"
                                "        Variables: {YES: yes, QUOTED: 'true', NUM: 010, F: 1.50, OFF: Off}\n"
                                "      Events:\n"
                                "        Q:\n"
                                "          Type: SQS\n"
                                "          Properties: {Queue: arn:aws:sqs:us-east-1:1:q, Enabled: false}\n"
                                "        Any:\n"
                                "          Type: Api\n"
                                "          Properties: {Path: '/{proxy+}', Method: any, RestApiId: !Ref Api}\n"
                                "        V1:\n"
                                "          Type: HttpApi\n"
                                "          Properties: {Path: /v1, Method: post, PayloadFormatVersion: '1.0'}\n"
                                "        ViaApi:\n"
                                "          Type: HttpApi\n"
                                "          Properties: {ApiId: !Ref Http}\n"
                                "        Stream:\n"
                                "          Type: Kinesis\n"
                                "          Properties: {Stream: x, StartingPosition: LATEST}\n"
                                "  Api: {Type: AWS::Serverless::Api, Properties: {StageName: prod}}\n"
                                "  Http: {Type: AWS::Serverless::HttpApi, Properties: {PayloadFormatVersion: '1.0'}}\n"
                                "Conditions:\n"
                                "  Never: !Equals [a, b]\n");
  const function& fn = st.functions.at(0);
  EXPECT_EQ(fn.code_dir, (s.dir() / "../elsewhere/fn").lexically_normal());
  EXPECT_EQ(fn.package_type, "Image");
  EXPECT_EQ(fn.timeout_seconds, 2.5);
  EXPECT_EQ(fn.per_environment_concurrency, 8u);
  EXPECT_THAT(fn.environment, ElementsAre(Pair("YES", "true"), Pair("QUOTED", "true"), Pair("NUM", "010"),
                                          Pair("F", "1.50"), Pair("OFF", "false")));
  ASSERT_EQ(fn.events.size(), 5u);
  EXPECT_FALSE(fn.events[0].enabled);
  EXPECT_EQ(fn.events[0].queue, "arn:aws:sqs:us-east-1:1:q");
  EXPECT_EQ(fn.events[0].batch_size, 10u);
  EXPECT_FALSE(fn.events[0].report_batch_item_failures);
  EXPECT_EQ(fn.events[1].method, "ANY");
  EXPECT_EQ(fn.events[1].path, "/{proxy+}");
  EXPECT_EQ(fn.events[2].payload_format_version, "1.0");
  EXPECT_EQ(fn.events[2].method, "POST");
  EXPECT_EQ(fn.events[3].payload_format_version, "1.0"); // the HttpApi resource's
  EXPECT_EQ(fn.events[4].type, "Kinesis");
  EXPECT_THAT(st.warnings, ElementsAre("Fn: ImageUri is not emulated", "Fn: ReservedConcurrentExecutions is not emulated"));
}

TEST(TemplateFunctions, WrongTypesAreErrorsWithTheirPlace) {
  scratch s;
  const auto check = [&](const std::string& properties, const std::string& expected) {
    const auto file = s.write("t.yaml", "Resources:\n"
                                        "  Orders:\n"
                                        "    Type: AWS::Serverless::Function\n"
                                        "    Properties:\n" +
                                            properties);
    EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":" + expected) << properties;
  };
  check("      Timeout: abc\n", "5:16: Resources.Orders.Properties.Timeout: expected a number, got 'abc'");
  check("      MemorySize: 1.5\n", "5:19: Resources.Orders.Properties.MemorySize: expected a whole number, got '1.5'");
  check("      Events: [a]\n", "5:15: Resources.Orders.Properties.Events: expected a map, got a list");
  check("      Events:\n        E: {Properties: {}}\n",
        "6:12: Resources.Orders.Properties.Events.E.Type: expected the event's Type (Api, HttpApi, SQS, ...)");
  check("      Events:\n        E:\n          Type: SQS\n          Properties: {BatchSize: lots}\n",
        "8:35: Resources.Orders.Properties.Events.E.Properties.BatchSize: expected a whole number, got 'lots'");
  check("      Events:\n        E:\n          Type: SQS\n          Properties: {Enabled: maybe}\n",
        "8:33: Resources.Orders.Properties.Events.E.Properties.Enabled: expected true or false, got 'maybe'");
  check("      Environment:\n        Variables:\n          A: [1]\n",
        "7:14: Resources.Orders.Properties.Environment.Variables.A: expected a string, got a list");
  check("      Handler: {a: b}\n", "5:16: Resources.Orders.Properties.Handler: expected a string, got a map");
  check("      Architectures: arm64\n", "5:22: Resources.Orders.Properties.Architectures: expected a list, got 'arm64'");
  check("    Condition: [x]\n", "5:16: Resources.Orders.Condition: expected a condition name, got a list");
}

TEST(TemplateFunctions, FileAndStructureErrors) {
  scratch s;
  const auto missing = s.dir() / "missing.yaml";
  EXPECT_EQ(error_of([&] { load(missing); }), "template " + missing.string() + ": no such file");
  EXPECT_EQ(error_of([&] { load(s.dir()); }), "template " + s.dir().string() + ": is a folder, not a template file");
  auto file = s.write("syntax.yaml", "Resources:\n  Fn: [a, b\n  Other: 1\n");
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":3:8: end of sequence flow not found");
  file = s.write("noresources.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n");
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ": no Resources section");
  file = s.write("scalar.yaml", "just text\n");
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":1:1: expected a template (a map with Resources), got 'just text'");
  file = s.write("notype.yaml", "Resources:\n  Fn:\n    Properties: {}\n");
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":3:5: Resources.Fn.Type: expected a resource type");
  file = s.write("selfname.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"
                                  "    Properties: {FunctionName: !Ref Fn, Code: .}\n");
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":4:32: Resources.Fn.Properties.FunctionName: the name refers to itself");
}

TEST(TemplateFunctions, JsonTemplate) {
  scratch s;
  const auto file = s.write("template.json", R"({
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": "src",
        "Timeout": 9,
        "Environment": {"Variables": {"A": {"Fn::Sub": "${AWS::Region}-x"}, "B": {"Fn::If": ["C", "1", "2"]}}}
      }
    }
  },
  "Conditions": {"C": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "123456789012"]}}
})");
  const stack st = load(file);
  ASSERT_EQ(st.functions.size(), 1u);
  EXPECT_EQ(st.functions[0].code_dir, s.dir() / "src");
  EXPECT_EQ(st.functions[0].timeout_seconds, 9);
  EXPECT_THAT(st.functions[0].environment, ElementsAre(Pair("A", "us-east-1-x"), Pair("B", "1")));
}

TEST(TemplateFunctions, DefaultTemplate) {
  scratch s;
  EXPECT_EQ(find_default_template(s.dir()), std::nullopt);
  s.write("template.yml", "Resources: {}\n");
  EXPECT_EQ(find_default_template(s.dir()), s.dir() / "template.yml");
  s.write("template.yaml", "Resources: {}\n");
  EXPECT_EQ(find_default_template(s.dir()), s.dir() / "template.yaml");
  std::filesystem::create_directories(s.dir() / ".aws-sam/build");
  s.write(".aws-sam/build/template.yaml", "Resources: {}\n");
  EXPECT_EQ(find_default_template(s.dir()), s.dir() / ".aws-sam/build/template.yaml");
}

TEST(TemplateFunctions, FindByLogicalIdBeforeFunctionName) {
  scratch s;
  const stack st = load_text(s, "Resources:\n"
                                "  A: {Type: AWS::Serverless::Function, Properties: {FunctionName: B}}\n"
                                "  B: {Type: AWS::Serverless::Function, Properties: {FunctionName: c}}\n");
  EXPECT_EQ(st.find("B")->logical_id, "B");
  EXPECT_EQ(st.find("c")->logical_id, "B");
  EXPECT_EQ(st.find("A")->function_name, "B");
  EXPECT_EQ(st.find("nope"), nullptr);
}

TEST(TemplateFunctions, SqsQueuesAndTheirEvents) {
  const stack st = load(fixture("sqs/template.yaml"), load_options{.parameter_overrides = {{"Stage", "prod"}}});
  ASSERT_EQ(st.queues.size(), 2u);
  const queue& dlq = st.queues[0];
  EXPECT_EQ(dlq.logical_id, "OrdersDeadLetterQueue");
  EXPECT_EQ(dlq.name, "orders-dlq-prod");
  EXPECT_EQ(dlq.attributes, (std::map<std::string, std::string>{{"MessageRetentionPeriod", "1209600"}}));
  const queue& main = st.queues[1];
  EXPECT_EQ(main.name, "orders-prod");
  EXPECT_EQ(main.attributes, (std::map<std::string, std::string>{{"VisibilityTimeout", "2"}}));
  EXPECT_EQ(main.dead_letter_queue, "orders-dlq-prod"); // !GetAtt OrdersDeadLetterQueue.Arn, resolved
  EXPECT_EQ(main.max_receive_count, 2u);
  EXPECT_THAT(st.warnings, ::testing::Contains("OrdersQueue: KmsMasterKeyId: not emulated"));

  const function& fn = *st.find("OrdersFunction");
  ASSERT_EQ(fn.events.size(), 2u);
  EXPECT_EQ(fn.events[0].type, "SQS");
  EXPECT_EQ(fn.events[0].queue, "arn:aws:sqs:us-east-1:123456789012:orders-prod");
  EXPECT_EQ(fn.events[0].batch_size, 5u);
  EXPECT_TRUE(fn.events[0].report_batch_item_failures);
  EXPECT_EQ(fn.events[0].maximum_concurrency, 2u);

  // A queue with a Condition that is false is not there; one without QueueName is named by its logical id.
  scratch s;
  const stack plain = load_text(s, R"(
Conditions:
  Never: !Equals [a, b]
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Gone:
    Type: AWS::SQS::Queue
    Condition: Never
)");
  ASSERT_EQ(plain.queues.size(), 1u);
  EXPECT_EQ(plain.queues[0].name, "Jobs");
  EXPECT_EQ(plain.queues[0].attributes.at("FifoQueue"), "true");
}

} // namespace
} // namespace lemu::templates::test
