// lemu as aws-lambda-rie on this machine (the image of a Lambda base image is tests/docker's): `lemu rie`
// and a link named aws-lambda-rie, RIE's flags and environment, RIE's invoke route, and the bootstrap's
// arguments (`-- ARGS...` for lemu run and serve, BOOTSTRAP ARGS... for RIE).

#include "integration/cli_fixture.hpp"
#include "support/background.hpp"
#include "support/http_raw.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace lemu::test;
using ::testing::HasSubstr;
using nlohmann::json;

namespace {

// The Invoke API port lemu announced ("Invoke API on http://HOST:PORT").
std::uint16_t invoke_port(const std::string& err) {
  const auto at = err.find("Invoke API on http://");
  if (at == std::string::npos) return 0;
  const auto colon = err.find(':', at + 21);
  return static_cast<std::uint16_t>(std::stoi(err.substr(colon + 1, 6)));
}

json invoke_function(std::uint16_t port, const std::string& payload) {
  http_raw::connection c(port);
  const auto r = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/function/invocations", {}, payload));
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200) << r.res.body;
  return json::parse(r.res.body);
}

} // namespace

TEST(BootstrapArgs, RunAndServePassWhatFollowsTheDoubleDash) {
  auto r = fake_run("env", {"--event", sqs_event(), "--", "--flag", "value", "--"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["argv"], json::array({"/var/task/bootstrap", "--flag", "value", "--"}));
  r = run_command({lemu_bin, "event", "sqs", "--", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: -- ARGS are the bootstrap's: only lemu run, replay and serve take them\n");

  background_process serve({lemu_bin, "serve", fake_bootstrap, "--handler", "env", "--port", "0", "--api", "none", "--",
                            "one", "two"});
  ASSERT_TRUE(serve.wait_for_stderr("lemu: ready")) << serve.err();
  http_raw::connection c(invoke_port(serve.err()));
  const auto res = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/fake-bootstrap/invocations", {}, "{}"));
  ASSERT_TRUE(res.ok()) << res.error;
  // In the sandbox the runtime is started as Lambda starts it: /var/task/bootstrap.
  EXPECT_EQ(json::parse(res.res.body)["argv"], json::array({"/var/task/bootstrap", "one", "two"}));
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0);
}

TEST(Rie, LemuRieTakesRiesFlagsEnvironmentAndBootstrapArguments) {
  background_process rie({lemu_bin, "rie", "--runtime-interface-emulator-address", "127.0.0.1:0",
                          "--runtime-api-address=127.0.0.1:0", "--enable-init-caching", fake_bootstrap, "a", "--b"},
                         {{"_HANDLER", "env"}, {"FOO", "bar"}, {"AWS_LAMBDA_FUNCTION_VERSION", "7"}});
  ASSERT_TRUE(rie.wait_for_stderr("lemu: ready")) << rie.err();
  EXPECT_THAT(rie.err(), HasSubstr("--enable-init-caching is accepted and ignored"));
  const std::uint16_t port = invoke_port(rie.err());
  const json got = invoke_function(port, "{}");
  EXPECT_EQ(got["argv"], json::array({fake_bootstrap, "a", "--b"}));
  const json& env = got["env"];
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "test_function");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "3008");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "7");
  EXPECT_EQ(env["_HANDLER"], "env");
  EXPECT_EQ(env["FOO"], "bar"); // the emulator's environment reaches the function
  EXPECT_EQ(env["AWS_REGION"], "us-east-1");
  // The function's own name works too (lemu's Invoke API), others are Lambda's 404.
  http_raw::connection c(port);
  auto r = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/test_function/invocations", {}, "{}"));
  EXPECT_EQ(r.res.status, 200);
  r = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/other/invocations", {}, "{}"));
  EXPECT_EQ(r.res.status, 404);
  rie.signal(SIGTERM);
  EXPECT_EQ(rie.wait(), 0) << rie.err();
  EXPECT_THAT(rie.err(), HasSubstr("Memory Size: 3008 MB"));
}

TEST(Rie, AwsLambdaMaxConcurrencyIsManagedInstancesAsInRie) {
  // Two workers in one process: two invocations at once overlap there.
  background_process rie({lemu_bin, "rie", "--runtime-interface-emulator-address", "127.0.0.1:0",
                          "--runtime-api-address=127.0.0.1:0", fake_bootstrap},
                         {{"_HANDLER", "by-event"}, {"AWS_LAMBDA_MAX_CONCURRENCY", "2"}});
  ASSERT_TRUE(rie.wait_for_stderr("lemu: ready")) << rie.err();
  const std::uint16_t port = invoke_port(rie.err());
  const std::string request =
      http_raw::request("POST", "/2015-03-31/functions/function/invocations", {}, R"({"fake":"overlap:400"})");
  http_raw::connection a(port), b(port);
  ASSERT_TRUE(a.send(request));
  ASSERT_TRUE(b.send(request));
  const auto ra = a.read_response(), rb = b.read_response();
  ASSERT_TRUE(ra.ok() && rb.ok());
  const json ja = json::parse(ra.res.body), jb = json::parse(rb.res.body);
  EXPECT_EQ(ja["pid"], jb["pid"]);
  EXPECT_EQ(ja["peak"], 2);
  EXPECT_EQ(jb["peak"], 2);
  EXPECT_THAT(rie.err(), HasSubstr(R"("initializationType":"lambda-managed-instances")"));
  rie.signal(SIGTERM);
  EXPECT_EQ(rie.wait(), 0) << rie.err();
}

TEST(Rie, ALinkNamedAwsLambdaRieIsTheEmulator) {
  scratch_dir dir;
  const std::string link = dir.path() + "/aws-lambda-rie";
  std::filesystem::create_symlink(lemu_bin, link);
  auto r = run_command({link, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: aws-lambda-rie [--runtime-interface-emulator-address HOST:PORT]"));
  r = run_command({link, "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: unknown flag --no-such-flag (aws-lambda-rie --help lists them)\n");
  r = run_command({link, "--runtime-api-address", "0.0.0.0:9001", fake_bootstrap});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lemu serves the Runtime API on 127.0.0.1 only"));
  r = run_command({link, fake_bootstrap}, with_env({{"AWS_LAMBDA_FUNCTION_TIMEOUT", "soon"}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("AWS_LAMBDA_FUNCTION_TIMEOUT: expected a positive whole number, got 'soon'"));
  // A BOOTSTRAP without a slash is looked up in PATH.
  std::filesystem::create_symlink(fake_bootstrap, dir.path() + "/fake-in-path");
  background_process rie({link, "--runtime-interface-emulator-address", "127.0.0.1:0", "--runtime-api-address",
                          "127.0.0.1:0", "fake-in-path", "x"},
                         {{"_HANDLER", "env"}, {"PATH", dir.path() + ":/usr/bin:/bin"}});
  ASSERT_TRUE(rie.wait_for_stderr("lemu: ready")) << rie.err();
  EXPECT_EQ(invoke_function(invoke_port(rie.err()), "{}")["argv"], json::array({dir.path() + "/fake-in-path", "x"}));
  rie.signal(SIGINT);
  EXPECT_EQ(rie.wait(), 0);
  if (!std::filesystem::exists("/var/runtime/bootstrap") && !std::filesystem::exists("/opt/bootstrap")) {
    r = run_command({link});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "lemu: error: Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): "
                     "[/var/runtime/bootstrap /opt/bootstrap]\n");
  }
}
