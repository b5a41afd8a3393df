// Tenant isolation (PROTOCOL.md §9.2; README "Tenant isolation") through the real lemu binary: two tenants
// never share an execution environment (lemu serve --concurrency 2 alternating tenants, and --concurrency 1
// where an idle environment of another tenant is retired), the Invoke API's refusals of a missing, an
// unexpected and a malformed tenant id with their exact bodies, the front door's tenant, lemu run
// --tenant-id (the runtime's header, telemetry's tenantId, the --json record, the capture), and a capture
// whose lines carry tenants replayed in those tenants.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::string invoke_path(const std::string& name) { return "/2015-03-31/functions/" + name + "/invocations"; }

http_raw::read_result invoke(std::uint16_t port, const std::string& name, const std::string& body,
                             const http_raw::header_list& headers = {}) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("POST", invoke_path(name), headers, body));
}

// What fake-bootstrap's headers mode answered for an invocation of `tenant` (its tenant_id and pid).
json invoke_as(std::uint16_t port, const std::string& tenant) {
  const auto r = invoke(port, "fake", "{}", {{"X-Amz-Tenant-Id", tenant}});
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200) << r.res.raw;
  return json::parse(r.res.body);
}

void expect_api_error(const http_raw::read_result& r, int status, const std::string& type, const std::string& message) {
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, status) << r.res.raw;
  EXPECT_EQ(r.res.header("x-amzn-ErrorType"), type);
  EXPECT_EQ(json::parse(r.res.body), (json{{"Type", "User"}, {"Message", message}})) << r.res.body;
}

} // namespace

TEST(CliTenants, TwoTenantsNeverShareAnEnvironment) {
  scratch_dir dir;
  const std::string records = dir.path() + "/records.jsonl", capture = dir.path() + "/capture.jsonl";
  serve_process s({fake_bootstrap, "--handler", "headers", "--function-name", "fake", "--tenant-isolation",
                   "--concurrency", "2", "--json", records, "--record", capture});
  EXPECT_THAT(s.process().err(), HasSubstr("concurrency 2, tenant isolation)"));
  std::map<std::string, std::set<long long>> pids_of;
  for (const std::string tenant : {"blue", "green", "blue", "green", "blue"}) {
    const json seen = invoke_as(s.port(), tenant);
    EXPECT_EQ(seen.at("tenant_id"), tenant); // Lambda-Runtime-Aws-Tenant-Id on /next
    pids_of[tenant].insert(seen.at("pid").get<long long>());
  }
  // Each tenant kept its one environment warm; the two are different processes.
  ASSERT_EQ(pids_of["blue"].size(), 1u);
  ASSERT_EQ(pids_of["green"].size(), 1u);
  EXPECT_NE(*pids_of["blue"].begin(), *pids_of["green"].begin());
  EXPECT_EQ(s.stop(), 0);

  std::map<std::string, std::set<std::uint32_t>> envs_of;
  std::size_t cold = 0;
  for (const json& r : json_lines(records)) {
    envs_of[r.at("tenant_id").get<std::string>()].insert(r.at("environment_id").get<std::uint32_t>());
    if (r.at("cold").get<bool>()) ++cold;
  }
  EXPECT_EQ(envs_of["blue"], (std::set<std::uint32_t>{1}));
  EXPECT_EQ(envs_of["green"], (std::set<std::uint32_t>{2}));
  EXPECT_EQ(cold, 2u);
  const auto lines = json_lines(capture);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1].at("meta").at("tenant_id"), "green");

  // The summary groups by tenant.
  EXPECT_THAT(s.process().err(), HasSubstr("tenant        count   cold  failed       p50       p99\n"));
  EXPECT_THAT(s.process().err(), ::testing::ContainsRegex("\nblue              3      1       0 +[0-9.]+ms +[0-9.]+ms\n"));
  EXPECT_THAT(s.process().err(), ::testing::ContainsRegex("\ngreen             2      1       0 +[0-9.]+ms +[0-9.]+ms\n"));
}

TEST(CliTenants, AtItsConcurrencyAnotherTenantsIdleEnvironmentIsRetired) {
  scratch_dir dir;
  const std::string records = dir.path() + "/records.jsonl";
  serve_process s({fake_bootstrap, "--handler", "headers", "--function-name", "fake", "--tenant-isolation",
                   "--concurrency", "1", "--json", records});
  std::vector<long long> pids;
  for (const std::string tenant : {"blue", "green", "blue"}) pids.push_back(invoke_as(s.port(), tenant).at("pid").get<long long>());
  EXPECT_EQ(std::set<long long>(pids.begin(), pids.end()).size(), 3u) << "every switch of tenant is a fresh environment";
  EXPECT_EQ(s.stop(), 0);
  const auto recs = json_lines(records);
  ASSERT_EQ(recs.size(), 3u);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].at("environment_id"), i + 1);
    EXPECT_EQ(recs[i].at("cold"), true); // a cold start each time
  }
}

TEST(CliTenants, TheInvokeApiRefusesAMissingAnUnexpectedAndAMalformedTenant) {
  serve_process s({"--function", "iso=" + std::string(fake_bootstrap), "--function", "plain=" + std::string(fake_bootstrap),
                   "--handler", "headers", "--tenant-isolated", "iso"});
  expect_api_error(invoke(s.port(), "iso", "{}"), 400, "InvalidParameterValueException",
                   "The function iso has tenant isolation: the request needs a tenant id (the X-Amz-Tenant-Id header; "
                   "aws lambda invoke --tenant-id ID)");
  expect_api_error(invoke(s.port(), "plain", "{}", {{"X-Amz-Tenant-Id", "blue"}}), 400, "InvalidParameterValueException",
                   "The function plain does not have tenant isolation: the request must not carry a tenant id "
                   "(X-Amz-Tenant-Id)");
  expect_api_error(invoke(s.port(), "iso", "{}", {{"X-Amz-Tenant-Id", "blue!"}}), 400, "ValidationException",
                   "1 validation error detected: Value 'blue!' at 'tenantId' failed to satisfy constraint: Member must "
                   R"(satisfy regular expression pattern: [a-zA-Z0-9\._:\/=+\-@ ]+)");
  expect_api_error(invoke(s.port(), "iso", "{}", {{"X-Amz-Tenant-Id", std::string(257, 't')}}), 400, "ValidationException",
                   "1 validation error detected: Value '" + std::string(257, 't') +
                       "' at 'tenantId' failed to satisfy constraint: Member must have length less than or equal to 256");
  // The refused never ran; the accepted ones did, each with its tenant (or none).
  const auto ok = invoke(s.port(), "iso", "{}", {{"X-Amz-Tenant-Id", "org/42 eu-west=1+a@b.c"}});
  ASSERT_EQ(ok.res.status, 200) << ok.res.raw;
  EXPECT_EQ(json::parse(ok.res.body).at("tenant_id"), "org/42 eu-west=1+a@b.c");
  const auto plain = invoke(s.port(), "plain", "{}");
  ASSERT_EQ(plain.res.status, 200) << plain.res.raw;
  EXPECT_EQ(json::parse(plain.res.body).at("tenant_id"), "");
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: invoke: 400 InvalidParameterValueException: The function iso has tenant isolation"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliTenants, TheFrontDoorTakesTheTenantFromTheRequestHeader) {
  serve_process s({fake_bootstrap, "--handler", "headers", "--function-name", "fake", "--tenant-isolation", "--api", "rest"});
  http_raw::connection c(s.api_port());
  const auto with = c.roundtrip(http_raw::request("GET", "/items/1", {{"X-Amz-Tenant-Id", "blue"}}));
  ASSERT_TRUE(with.ok()) << with.error;
  // headers mode's answer is not a proxy response: 502, but the runtime ran for the tenant (see the log).
  EXPECT_EQ(with.res.status, 502) << with.res.raw;
  const auto without = c.roundtrip(http_raw::request("GET", "/items/1"));
  ASSERT_TRUE(without.ok()) << without.error;
  EXPECT_EQ(without.res.status, 500);
  EXPECT_EQ(without.res.body, R"({"message":"Internal server error"})");
  EXPECT_TRUE(s.process().wait_for_stderr(
      "lemu: api: GET /items/1 -> 500 (fake has tenant isolation: the request needs an X-Amz-Tenant-Id header)"));
  EXPECT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), ::testing::ContainsRegex("\ninvocations 1 "));
}

TEST(CliTenants, RunTenantIdReachesTheRuntimeTelemetryTheRecordsAndTheCapture) {
  scratch_dir dir;
  const std::string records = dir.path() + "/records.jsonl", capture = dir.path() + "/capture.jsonl";
  const auto r = fake_run("headers", {"--event", sqs_event(), "--tenant-id", "blue", "--log-format", "json",
                                      "--system-log-level", "DEBUG", "--json", records, "--record", capture});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out_lines().at(0)).at("tenant_id"), "blue");
  for (const char* type : {"platform.start", "platform.runtimeDone", "platform.report"}) {
    const auto events = platform_events(r.err, type);
    ASSERT_EQ(events.size(), 1u) << type << "\n" << r.err;
    EXPECT_EQ(events[0].at("record").at("tenantId"), "blue") << type;
  }
  EXPECT_EQ(platform_events(r.err, "platform.initStart").at(0).at("record").count("tenantId"), 0u);
  EXPECT_EQ(json_lines(records).at(0).at("tenant_id"), "blue");
  EXPECT_EQ(json_lines(capture).at(0).at("meta").at("tenant_id"), "blue");
  // One tenant: no per-tenant table.
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("tenant        count")));

  // Without --tenant-id nothing carries a tenant.
  const auto plain = fake_run("headers", {"--event", sqs_event(), "--log-format", "json", "--json", records});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(json::parse(plain.out_lines().at(0)).at("tenant_id"), "");
  EXPECT_EQ(platform_events(plain.err, "platform.start").at(0).at("record").count("tenantId"), 0u);
  EXPECT_EQ(json_lines(records).at(0).count("tenant_id"), 0u);

  // An event Lambda refuses for its size never runs, and its record still names the tenant.
  const std::string big = dir.write("big.json", "\"" + std::string(6291456, 'x') + "\"");
  const auto refused = fake_run("headers", {"--event", big, "--tenant-id", "blue", "--json", records});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(json_lines(records).at(0).at("tenant_id"), "blue");
}

TEST(CliTenants, ABadTenantIdIsAUsageError) {
  const auto bad = fake_run("echo", {"--event", sqs_event(), "--tenant-id", "blue!"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "lemu: error: --tenant-id 'blue!': a tenant id is 1 to 256 characters: letters, digits, spaces "
                     "and . _ : / = + - @\n");
  EXPECT_EQ(bad.out, "");
  const auto unknown = run_command({lemu_bin, "serve", fake_bootstrap, "--function-name", "fake", "--tenant-isolated", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "lemu: error: --tenant-isolated nope: no function is named nope\n");
  scratch_dir dir;
  const std::string capture = dir.write("bad.jsonl", R"({"event":{},"meta":{"tenant_id":""}})" "\n");
  const auto replay = run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap});
  EXPECT_EQ(replay.exit_code, 2);
  EXPECT_EQ(replay.err, "lemu: error: " + capture +
                            ":1: not a capture record: meta.tenant_id: Member must have length greater than or equal to 1\n");
}

TEST(CliTenants, ReplayRunsEachCaptureLineInItsTenant) {
  scratch_dir dir;
  const std::string capture = dir.write("tenants.jsonl", R"({"event":{"n":1},"meta":{"tenant_id":"blue"}})" "\n"
                                                         R"({"event":{"n":2},"meta":{"tenant_id":"green"}})" "\n"
                                                         R"({"event":{"n":3}})" "\n"
                                                         R"({"event":{"n":4},"meta":{"tenant_id":"blue"}})" "\n");
  const std::string records = dir.path() + "/records.jsonl";
  const auto r = run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--handler", "headers",
                              "--tenant-id", "red", "--concurrency", "2", "--json", records});
  ASSERT_EQ(r.exit_code, 0) << r.err; // nothing recorded: each is expected to succeed
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 4u) << r.out;
  std::vector<std::string> tenants;
  std::map<std::string, std::set<long long>> pids_of;
  for (const auto& line : out) {
    const json seen = json::parse(line);
    tenants.push_back(seen.at("tenant_id"));
    pids_of[seen.at("tenant_id")].insert(seen.at("pid").get<long long>());
  }
  EXPECT_EQ(tenants, (std::vector<std::string>{"blue", "green", "red", "blue"})); // a line's own tenant wins
  std::set<long long> all;
  for (const auto& [tenant, pids] : pids_of) all.insert(pids.begin(), pids.end());
  std::size_t per_tenant = 0;
  for (const auto& [tenant, pids] : pids_of) per_tenant += pids.size();
  EXPECT_EQ(all.size(), per_tenant) << "no environment ran two tenants";
  EXPECT_THAT(r.err, HasSubstr("tenant        count   cold  failed       p50       p99\n"));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("\nblue              2 "));

  // A capture recorded with a tenant replays in it, and matches.
  const std::string recorded = dir.path() + "/recorded.jsonl";
  const auto rec = fake_run("echo", {"--event", sqs_event(), "--tenant-id", "blue", "--record", recorded});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  const auto again = run_command({lemu_bin, "replay", recorded, "--bootstrap", fake_bootstrap, "--handler", "echo",
                                  "--log-format", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(platform_events(again.err, "platform.start").at(0).at("record").at("tenantId"), "blue");
}
