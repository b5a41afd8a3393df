// Shape conformance: every generated kind, and every file under events/, has the structure (keys, nesting,
// JSON types) of the matching real fixture in fixtures/events/ (PROTOCOL.md §5), except for the differences
// that are correct by design. Those are listed, with reasons, in events/README.md; this file encodes the same
// list (a test checks the two agree), so a new difference fails, and so does an allowed one that no longer
// occurs. Also: the shape comparer itself, and that the bundled events are exactly the generator's output.
#include <lemu/events/generator_shape.hpp>
#include <lemu/events/generators.hpp>

#include <lemu_test_paths.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace lemu::events {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json parse_file(const fs::path& path) { return json::parse(file_bytes(path)); }

std::set<std::string> strings_of(const std::vector<shape_difference>& differences) {
  std::set<std::string> out;
  for (const shape_difference& d : differences) out.insert(d.to_string());
  return out;
}

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += "\n  " + s;
  return out.empty() ? " (none)" : out;
}

// ---------------------------------------------------------------------------------------------------------
// Per kind: the fixture it must look like, its user-keyed objects, and the allowed differences (keep in step
// with the table in events/README.md; the reasons are there).

struct kind_spec {
  std::string fixture; // under fixtures/events/
  std::vector<std::string> map_paths;
  std::set<std::string> allowed;
};

const std::set<std::string> rest_identity_nulls = [] {
  std::set<std::string> out;
  for (const char* field : {"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey",
                            "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user"})
    out.insert(std::string("type requestContext.identity.") + field + ": string -> null");
  return out;
}();

std::set<std::string> with(std::set<std::string> base, const std::set<std::string>& more) {
  base.insert(more.begin(), more.end());
  return base;
}

// What every REST event differs in: no stage variables, no authorizer, no API key, no mTLS, no IAM caller.
const std::set<std::string> rest_base = with(rest_identity_nulls, {
                                                                      "type stageVariables: object -> null",
                                                                      "missing requestContext.authorizer",
                                                                      "missing requestContext.identity.apiKey",
                                                                      "missing requestContext.identity.apiKeyId",
                                                                      "missing requestContext.identity.clientCert",
                                                                      "extra requestContext.identity.principalOrgId",
                                                                      "extra isBase64Encoded",
                                                                  });

const std::map<std::string, kind_spec>& specs() {
  static const std::map<std::string, kind_spec> table = {
      {"sqs",
       {"aws-lambda-go/sqs-event.json",
        {"Records[].messageAttributes"},
        {"missing Records[].md5OfMessageAttributes", "extra Records[].attributes.SequenceNumber",
         "extra Records[].attributes.MessageGroupId", "extra Records[].attributes.MessageDeduplicationId"}}},
      {"apigw-rest",
       {"aws-lambda-go/apigw-request.json",
        {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
         "stageVariables", "requestContext.authorizer"},
        with(rest_base,
             {"type queryStringParameters: object -> null", "type multiValueQueryStringParameters: object -> null",
              "type pathParameters: object -> null", "type body: string -> null"})}},
      {"apigw-http",
       {"aws-lambda-go/apigw-v2-request-no-authorizer.json",
        {"headers", "queryStringParameters", "pathParameters", "stageVariables"},
        {"missing requestContext.authentication", "extra cookies", "extra queryStringParameters", "extra body"}}},
      {"function-url",
       {"aws-lambda-go/lambda-urls-request.json",
        {"headers", "queryStringParameters", "requestContext.authorizer"},
        {"missing requestContext.authorizer", "extra routeKey", "extra requestContext.routeKey",
         "extra requestContext.stage", "missing cookies", "missing queryStringParameters", "missing body"}}},
      {"alb", {"aws-lambda-go/alb-lambda-target-request-headers-only.json", {"headers", "queryStringParameters"}, {}}},
      {"alb-multivalue",
       {"aws-lambda-go/alb-lambda-target-request-multivalue-headers.json",
        {"multiValueHeaders", "multiValueQueryStringParameters"},
        {}}},
      {"sns",
       {"aws-lambda-go/sns-event.json",
        {"Records[].Sns.MessageAttributes"},
        {"type Records[].Sns.Subject: string -> null"}}},
      {"s3", {"aws-lambda-go/s3-event.json", {}, {"missing Records[].s3.object.versionId"}}},
      {"eventbridge", {"aws-lambda-rust-runtime/example-eventbridge-schedule.json", {"detail"}, {}}},
      {"dynamodb",
       {"aws-lambda-go/dynamodb-event.json",
        {"Records[].dynamodb.Keys", "Records[].dynamodb.NewImage", "Records[].dynamodb.OldImage"},
        {"missing Records[].userIdentity"}}},
      {"kinesis", {"aws-lambda-go/kinesis-event.json", {}, {}}},
  };
  return table;
}

json fixture_of(const std::string& kind) {
  return parse_file(fs::path(test::fixtures_dir) / "events" / specs().at(kind).fixture);
}

std::set<std::string> differences_of(const std::string& kind, const json& event) {
  return strings_of(compare_shapes(fixture_of(kind), event, {specs().at(kind).map_paths}));
}

// ---------------------------------------------------------------------------------------------------------
// The comparer

TEST(ShapeComparer, ReportsMissingExtraAndTypeDifferencesOnly) {
  const json reference = json::parse(R"({"a":1,"b":{"c":"x","d":[{"e":true}]},"f":null,"g":2.5})");
  EXPECT_TRUE(compare_shapes(reference, reference).empty());
  // Values differ, ints and floats are one type: same shape.
  EXPECT_TRUE(
      compare_shapes(reference, json::parse(R"({"a":7.5,"b":{"c":"y","d":[{"e":false},{"e":true}]},"f":null,"g":3})"))
          .empty());
  const json candidate = json::parse(R"({"a":"1","b":{"d":[{"e":true},{"e":1,"z":0}],"y":[]},"f":{},"g":2})");
  EXPECT_EQ(strings_of(compare_shapes(reference, candidate)),
            (std::set<std::string>{"type a: number -> string", "missing b.c", "type b.d[].e: boolean -> number",
                                   "extra b.d[].z", "extra b.y", "type f: null -> object"}));
}

TEST(ShapeComparer, ArraysUseTheFirstReferenceElementAndReportEachDifferenceOnce) {
  const json reference = json::parse(R"({"r":[{"k":"s"},{"other":1}]})");
  EXPECT_TRUE(compare_shapes(reference, json::parse(R"({"r":[]})")).empty());
  EXPECT_TRUE(compare_shapes(reference, json::parse(R"({"r":[{"k":"a"},{"k":"b"}]})")).empty());
  const auto d = compare_shapes(reference, json::parse(R"({"r":[{},{},{}]})"));
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].to_string(), "missing r[].k");
  // An empty reference array accepts any elements.
  EXPECT_TRUE(compare_shapes(json::parse(R"({"r":[]})"), json::parse(R"({"r":[1,"x",{}]})")).empty());
}

TEST(ShapeComparer, MapPathsAreComparedAsObjectsOnly) {
  const json reference = json::parse(R"({"headers":{"Accept":"*/*"},"r":[{"attrs":{"a":{"x":1}}}]})");
  const json candidate = json::parse(R"({"headers":{"host":"h","x":"y"},"r":[{"attrs":{"b":{"y":"2"}}}]})");
  EXPECT_EQ(compare_shapes(reference, candidate).size(), 5U); // headers: 1 missing, 2 extra; attrs: 1 and 1
  EXPECT_TRUE(compare_shapes(reference, candidate, {{"headers", "r[].attrs"}}).empty());
  EXPECT_EQ(strings_of(compare_shapes(reference, json::parse(R"({"headers":null,"r":[{"attrs":{}}]})"),
                                      {{"headers", "r[].attrs"}})),
            (std::set<std::string>{"type headers: object -> null"}));
}

// ---------------------------------------------------------------------------------------------------------
// Generated events against the fixtures

TEST(GeneratedShapes, EveryKindHasASpecAndItsFixtureExists) {
  std::set<std::string> kinds;
  for (const kind_info& k : event_kinds()) kinds.insert(k.name);
  std::set<std::string> specified;
  for (const auto& [kind, spec] : specs()) {
    specified.insert(kind);
    EXPECT_TRUE(fs::is_regular_file(fs::path(test::fixtures_dir) / "events" / spec.fixture)) << spec.fixture;
  }
  EXPECT_EQ(kinds, specified);
}

struct shape_case {
  std::string kind, name;
  generator_options options;
  std::set<std::string> expected; // exactly these differences
};

generator_options base_options() {
  generator_options o;
  o.seed = 11;
  o.now_ms = 1732606401000;
  return o;
}

std::vector<shape_case> shape_cases() {
  std::vector<shape_case> cases;
  auto add = [&](std::string kind, std::string name, auto configure, std::set<std::string> expected) {
    generator_options o = base_options();
    configure(o);
    cases.push_back({std::move(kind), std::move(name), std::move(o), std::move(expected)});
  };
  const auto post_with_everything = [](generator_options& o) {
    o.method = "POST";
    o.path = "/hello/world";
    o.query = "name=me&tag=a&tag=b";
    o.headers = {
        {"Content-Type", "application/json"}, {"Cookie", "session=abc; theme=dark"}, {"X-Tag", "1"}, {"X-Tag", "2"}};
    o.body = R"({"a":1})";
  };
  const auto get_root = [](generator_options&) {};

  add("sqs", "attributes",
      [](generator_options& o) {
        o.bodies = {"a", "b"};
        o.attributes = {{"Author", "String", "x"}, {"B", "Binary", "AAE="}};
      },
      {});
  add("sqs", "plain", [](generator_options& o) { o.count = 3; }, {"missing Records[].md5OfMessageAttributes"});
  add("sqs", "fifo",
      [](generator_options& o) {
        o.fifo = true;
        o.attributes = {{"n", "Number", "1"}};
      },
      {"extra Records[].attributes.SequenceNumber", "extra Records[].attributes.MessageGroupId",
       "extra Records[].attributes.MessageDeduplicationId"});

  add("apigw-rest", "post-with-query", post_with_everything, rest_base);
  add("apigw-rest", "get-root", get_root,
      with(rest_base,
           {"type queryStringParameters: object -> null", "type multiValueQueryStringParameters: object -> null",
            "type pathParameters: object -> null", "type body: string -> null"}));
  add(
      "apigw-rest", "binary",
      [&](generator_options& o) {
        post_with_everything(o);
        o.base64 = true;
      },
      rest_base);

  add("apigw-http", "get-root", get_root, {"missing requestContext.authentication"});
  add("apigw-http", "post-with-query-and-cookies", post_with_everything,
      {"missing requestContext.authentication", "extra cookies", "extra queryStringParameters", "extra body"});

  const std::set<std::string> url_base = {"missing requestContext.authorizer", "extra routeKey",
                                          "extra requestContext.routeKey", "extra requestContext.stage"};
  add("function-url", "post-with-query-and-cookies", post_with_everything, url_base);
  add("function-url", "get-root", get_root,
      with(url_base, {"missing cookies", "missing queryStringParameters", "missing body"}));

  add("alb", "get", get_root, {});
  add("alb", "post-base64",
      [&](generator_options& o) {
        post_with_everything(o);
        o.base64 = true;
      },
      {});
  add("alb-multivalue", "get", get_root, {});
  add("alb-multivalue", "post", post_with_everything, {});

  add("sns", "with-subject",
      [](generator_options& o) {
        o.subject = "s";
        o.attributes = {{"k", "String", "v"}};
      },
      {});
  add("sns", "no-subject", get_root, {"type Records[].Sns.Subject: string -> null"});

  add("s3", "put", [](generator_options& o) { o.body = "content"; }, {"missing Records[].s3.object.versionId"});
  add("eventbridge", "scheduled", get_root, {});
  add("eventbridge", "custom",
      [](generator_options& o) {
        o.source = "com.example";
        o.detail_type = "X";
        o.detail = R"({"a":[1]})";
      },
      {});
  add("dynamodb", "insert", [](generator_options& o) { o.count = 2; }, {"missing Records[].userIdentity"});
  add("kinesis", "records", [](generator_options& o) { o.bodies = {"a", "b", "c"}; }, {});
  return cases;
}

TEST(GeneratedShapes, EachCaseDiffersFromItsFixtureExactlyAsExpected) {
  for (const shape_case& c : shape_cases()) {
    SCOPED_TRACE(c.kind + " / " + c.name);
    const std::set<std::string> actual = differences_of(c.kind, make_event(c.kind, c.options));
    EXPECT_EQ(actual, c.expected) << "actual differences:" << joined(actual) << "\nexpected:" << joined(c.expected);
  }
}

TEST(GeneratedShapes, TheCasesExerciseTheWholeAllowList) {
  // Every allowed difference occurs in some case (a stale entry fails here), and nothing else is allowed.
  std::map<std::string, std::set<std::string>> seen;
  for (const shape_case& c : shape_cases()) seen[c.kind].insert(c.expected.begin(), c.expected.end());
  for (const auto& [kind, spec] : specs()) EXPECT_EQ(seen[kind], spec.allowed) << kind;
}

TEST(GeneratedShapes, TheAllowListIsTheOneInEventsReadme) {
  // Rows of the table under "## Shape differences allow-list": | `kind` | `difference` | reason |
  std::istringstream readme(file_bytes(fs::path(test::events_dir) / "README.md"));
  std::set<std::string> documented;
  bool in_section = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line.rfind("## Shape differences allow-list", 0) == 0;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::size_t pos = 0;
    for (int i = 0; i < 2; ++i) {
      const auto open = line.find('`', pos);
      const auto close = line.find('`', open + 1);
      ASSERT_NE(close, std::string::npos) << line;
      cells.push_back(line.substr(open + 1, close - open - 1));
      pos = line.find('|', close);
    }
    const auto last_bar = line.rfind('|');
    EXPECT_GT(last_bar, pos + 3) << "no reason given: " << line;
    documented.insert(cells[0] + ": " + cells[1]);
  }
  std::set<std::string> encoded;
  for (const auto& [kind, spec] : specs())
    for (const std::string& d : spec.allowed) encoded.insert(kind + ": " + d);
  EXPECT_EQ(documented, encoded) << "README:" << joined(documented) << "\ntest:" << joined(encoded);
}

// ---------------------------------------------------------------------------------------------------------
// The bundled events under events/

// Each file's kind and the options that generated it (`events/sqs/single-message.json` predates the generator
// and is checked for shape and checksums only).
struct bundled_event {
  std::string file, kind;
  generator_options options;
};

std::vector<bundled_event> bundled_events() {
  std::vector<bundled_event> out;
  auto add = [&](std::string file, std::string kind, std::uint64_t seed, auto configure) {
    generator_options o;
    o.seed = seed;
    o.now_ms = 1732606401000; // 2024-11-26T07:33:21Z
    configure(o);
    out.push_back({std::move(file), std::move(kind), std::move(o)});
  };
  add("sqs/batch.json", "sqs", 101, [](generator_options& o) {
    o.queue_arn = "arn:aws:sqs:us-east-1:123456789012:orders";
    o.bodies = {R"({"orderId":"1043","status":"paid"})", R"({"orderId":"1044","status":"shipped"})",
                R"({"orderId":"1045","status":"cancelled"})"};
  });
  add("sqs/fifo.json", "sqs", 102, [](generator_options& o) {
    o.fifo = true;
    o.queue_arn = "arn:aws:sqs:us-east-1:123456789012:orders.fifo";
    o.group_id = "customer-7";
    o.bodies = {R"({"orderId":"1046","step":"created"})", R"({"orderId":"1046","step":"paid"})",
                R"({"orderId":"1046","step":"shipped"})"};
  });
  add("sqs/message-attributes.json", "sqs", 103, [](generator_options& o) {
    o.queue_arn = "arn:aws:sqs:us-east-1:123456789012:books";
    o.bodies = {"Information about current NY Times fiction bestseller for week of 12/11/2016."};
    o.attributes = {{"Author", "String", "John Grisham"},
                    {"WeeksOn", "Number", "6"},
                    {"Cover", "Binary", "iVBORw0KGgo="},
                    {"Genre", "String.xyz", "legal thriller"}};
  });
  add("apigw-rest/get-query-multivalue.json", "apigw-rest", 201, [](generator_options& o) {
    o.path = "/search";
    o.query = "q=lambda%20emulator&tag=cpp&tag=aws&page=2";
    o.headers = {{"Accept", "application/json"}, {"X-Request-Tag", "alpha"}, {"X-Request-Tag", "beta"}};
  });
  add("apigw-rest/post-json.json", "apigw-rest", 202, [](generator_options& o) {
    o.method = "POST";
    o.path = "/orders";
    o.headers = {{"Content-Type", "application/json"}};
    o.body = R"({"orderId":"1042","amount":25.5,"currency":"EUR"})";
  });
  add("apigw-rest/binary-base64.json", "apigw-rest", 203, [](generator_options& o) {
    o.method = "PUT";
    o.path = "/images/pixel.png";
    o.headers = {{"Content-Type", "image/png"}};
    o.body = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);
    o.base64 = true;
  });
  add("apigw-http/get.json", "apigw-http", 301, [](generator_options& o) {
    o.path = "/items";
    o.query = "limit=10&sort=desc&sort=name";
    o.headers = {{"Accept", "application/json"}, {"Cookie", "session=abc123; theme=dark"}};
  });
  add("apigw-http/post-json.json", "apigw-http", 302, [](generator_options& o) {
    o.method = "POST";
    o.path = "/orders";
    o.headers = {{"Content-Type", "application/json"}};
    o.body = R"({"orderId":"1042","amount":25.5,"currency":"EUR"})";
  });
  add("function-url/get.json", "function-url", 401, [](generator_options& o) {
    o.path = "/hello";
    o.query = "name=lemu";
  });
  add("alb/get.json", "alb", 501, [](generator_options& o) {
    o.path = "/health";
    o.query = "verbose=1";
  });
  add("alb/get-multivalue.json", "alb-multivalue", 502, [](generator_options& o) {
    o.path = "/search";
    o.query = "tag=cpp&tag=aws";
    o.headers = {{"X-Request-Tag", "alpha"}, {"X-Request-Tag", "beta"}};
  });
  add("sns/notification.json", "sns", 601, [](generator_options& o) {
    o.subject = "Order shipped";
    o.body = R"({"orderId":"1042","status":"shipped"})";
    o.attributes = {{"eventType", "String", "OrderShipped"}, {"priority", "Number", "2"}};
  });
  add("s3/put.json", "s3", 701, [](generator_options& o) {
    o.bucket = "example-bucket";
    o.key = "uploads/report 2024.csv";
    o.body = "id,amount\n1042,25.5\n1043,12.0\n";
  });
  add("eventbridge/scheduled.json", "eventbridge", 801, [](generator_options&) {});
  add("dynamodb/insert.json", "dynamodb", 901, [](generator_options& o) {
    o.bodies = {R"({"id":"order-1042","status":"paid","amount":25.5,"items":["book","pen"],"gift":false})"};
  });
  add("kinesis/record.json", "kinesis", 1001, [](generator_options& o) {
    o.bodies = {"Hello World", R"({"sensor":"t-1","celsius":21.5})"};
  });
  return out;
}

std::string kind_of_file(const std::string& relative) {
  for (const bundled_event& b : bundled_events())
    if (b.file == relative) return b.kind;
  return relative.substr(0, relative.find('/')); // events/<kind>/...
}

std::vector<std::string> event_files() {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(test::events_dir))
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      out.push_back(fs::relative(entry.path(), test::events_dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BundledEvents, AreExactlyTheGeneratorOutput) {
  // LEMU_UPDATE_EVENTS=1 rewrites them (after a deliberate change to a generator).
  const bool update = std::getenv("LEMU_UPDATE_EVENTS") != nullptr;
  for (const bundled_event& b : bundled_events()) {
    const fs::path path = fs::path(test::events_dir) / b.file;
    const std::string expected = make_event(b.kind, b.options).dump(2) + "\n";
    if (update) {
      fs::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << expected;
      continue;
    }
    ASSERT_TRUE(fs::is_regular_file(path)) << b.file;
    EXPECT_EQ(file_bytes(path), expected) << b.file << " is not what the generator gives; if the generator changed on "
                                          << "purpose, regenerate with LEMU_UPDATE_EVENTS=1";
  }
}

TEST(BundledEvents, EveryFileParsesAndHasItsKindsShape) {
  const std::vector<std::string> files = event_files();
  EXPECT_GE(files.size(), bundled_events().size() + 1);
  for (const bundled_event& b : bundled_events())
    EXPECT_TRUE(std::find(files.begin(), files.end(), b.file) != files.end()) << "missing " << b.file;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    json event;
    ASSERT_NO_THROW(event = parse_file(fs::path(test::events_dir) / file));
    const std::string kind = kind_of_file(file);
    ASSERT_TRUE(specs().count(kind)) << "no event kind for " << file;
    const std::set<std::string> actual = differences_of(kind, event);
    std::set<std::string> not_allowed;
    for (const std::string& d : actual)
      if (!specs().at(kind).allowed.count(d)) not_allowed.insert(d);
    EXPECT_TRUE(not_allowed.empty()) << "differences not in the allow-list:" << joined(not_allowed);
  }
}

TEST(BundledEvents, EveryFileIsListedInTheReadme) {
  const std::string readme = file_bytes(fs::path(test::events_dir) / "README.md");
  for (const std::string& file : event_files()) EXPECT_NE(readme.find("`" + file + "`"), std::string::npos) << file;
}

TEST(BundledEvents, SqsFilesHaveCorrectChecksumsTimestampsAndArns) {
  std::size_t checked = 0;
  for (const std::string& file : event_files()) {
    if (kind_of_file(file) != "sqs") continue;
    SCOPED_TRACE(file);
    const json event = parse_file(fs::path(test::events_dir) / file);
    for (const json& r : event["Records"]) {
      ++checked;
      EXPECT_EQ(r["md5OfBody"], md5_hex(r["body"].get<std::string>()));
      std::vector<message_attribute> attributes;
      for (const auto& [name, a] : r["messageAttributes"].items())
        attributes.push_back({name, a["dataType"].get<std::string>(),
                              (a.contains("binaryValue") ? a["binaryValue"] : a["stringValue"]).get<std::string>()});
      if (attributes.empty()) {
        EXPECT_FALSE(r.contains("md5OfMessageAttributes"));
      } else {
        EXPECT_EQ(r["md5OfMessageAttributes"], sqs_message_attributes_md5(attributes));
      }
      const json& a = r["attributes"];
      EXPECT_LE(std::stoll(a["SentTimestamp"].get<std::string>()),
                std::stoll(a["ApproximateFirstReceiveTimestamp"].get<std::string>()));
      const std::string arn = r["eventSourceARN"].get<std::string>();
      EXPECT_EQ(arn.rfind("arn:aws:sqs:us-east-1:123456789012:", 0), 0U) << arn;
      EXPECT_EQ(r["awsRegion"], "us-east-1");
      const bool fifo_queue = arn.size() > 5 && arn.compare(arn.size() - 5, 5, ".fifo") == 0;
      EXPECT_EQ(a.contains("MessageGroupId"), fifo_queue);
      EXPECT_EQ(a.contains("SequenceNumber"), fifo_queue);
      EXPECT_EQ(a.contains("MessageDeduplicationId"), fifo_queue);
    }
  }
  EXPECT_GE(checked, 8U); // single-message 1 + batch 3 + fifo 3 + message-attributes 1
}

TEST(BundledEvents, SingleMessageIsUntouched) {
  // events/sqs/single-message.json is the README's example and must stay byte-identical.
  EXPECT_EQ(md5_hex(file_bytes(fs::path(test::events_dir) / "sqs" / "single-message.json")),
            "2d70966573de5532d364cf8551252f8c");
}

} // namespace
} // namespace lemu::events
