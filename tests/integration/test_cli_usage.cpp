// What a newcomer meets first, through the real `lemu` binary: every usage error is one line
// `lemu: error: ...` with exit 2 naming the problem and the fix; --help shows every default; `lemu event`
// refuses options its kind does not take; Lambda's limits are warnings (errors with --strict); a closed
// stdout stops a run; the Invoke API recognises the AWS CLI's base64 mistake; SPDLOG_LEVEL=debug talks
// about the Runtime API.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <regex>
#include <sys/stat.h>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

command_result lemu_cli(std::vector<std::string> args, const command_options& o = {}) {
  args.insert(args.begin(), lemu_bin);
  return run_command(args, o);
}

// Exit 2 and exactly one stderr line, `lemu: error: <expected>`; nothing on stdout.
void expect_usage_error(const command_result& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "lemu: error: " + expected + "\n");
  EXPECT_EQ(r.out, "");
}

// A socket listening on a free port of 127.0.0.1, closed by the destructor.
struct busy_port {
  int fd = -1;
  std::uint16_t port = 0;
  busy_port() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port = ntohs(a.sin_port);
  }
  ~busy_port() { ::close(fd); }
};

const std::string commands = "commands: run, serve, replay, event, report, rie";

} // namespace

// ---- 6. usage errors ----------------------------------------------------------------------------------

TEST(CliUsage, UnknownCommandNamesTheCommands) {
  expect_usage_error(lemu_cli({"foo"}), "unknown command 'foo'; " + commands);
  expect_usage_error(lemu_cli({}), "a command is required; " + commands);
  expect_usage_error(lemu_cli({"--bogus"}), "unknown option '--bogus' (options go after the command); " + commands);
}

TEST(CliUsage, RangesReadAsPeopleWriteThem) {
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--repeat", "0"}),
                     "--repeat: must be a whole number of at least 1, got '0'");
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--timeout", "0"}),
                     "--timeout: must be between 0.001 and 86400 seconds, got '0'");
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--concurrency", "2000"}),
                     "--concurrency: must be between 1 and 1024, got '2000'");
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--memory", "64.5"}),
                     "--memory: cannot read '64.5' as its type; lemu run --help lists the options and types");
  expect_usage_error(lemu_cli({"serve", fake_bootstrap, "--idle-timeout", "0"}),
                     "--idle-timeout: must be between 0.05 and 86400 seconds, got '0'");
}

TEST(CliUsage, UnknownOptionAndMissingArgumentNameTheHelp) {
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--bogus"}),
                     "unknown option --bogus for lemu run; lemu run --help lists the options");
  const auto r = lemu_cli({"run"});
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_THAT(r.err, StartsWith("lemu: error: "));
  EXPECT_THAT(r.err, HasSubstr("which function? pass its path, --cargo-lambda NAME, or --template [FILE] for a SAM project"));
}

TEST(CliUsage, ServeFunctionWithoutNameSaysNamePath) {
  expect_usage_error(lemu_cli({"serve", "--function", "bad"}), "--function: expected NAME=PATH, got 'bad'");
}

TEST(CliUsage, PortInUseSuggestsAnyFreePort) {
  busy_port busy;
  const std::string p = std::to_string(busy.port);
  expect_usage_error(lemu_cli({"serve", fake_bootstrap, "--port", p, "--api-port", "0"}),
                     "cannot listen on 127.0.0.1:" + p + ": Address already in use; pass --port 0 (any free port) or another port");
  expect_usage_error(lemu_cli({"serve", fake_bootstrap, "--port", "0", "--api-port", p}),
                     "cannot listen on 127.0.0.1:" + p +
                         ": Address already in use; pass --api-port 0 (any free port) or another port");
  // lemu run --runtime-api-port: CliFailures.PortInUseIsOneClearLine.
}

TEST(CliUsage, HostLocalhostIsTheLoopbackAddress) {
  serve_process s({fake_bootstrap, "--function-name", "fake", "--host", "localhost"});
  EXPECT_THAT(s.process().err(), HasSubstr("Invoke API on http://127.0.0.1:"));
  http_raw::connection c(s.port());
  const auto r = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/fake/invocations", {}, R"({"a":1})"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(s.stop(), 0);
  expect_usage_error(lemu_cli({"serve", fake_bootstrap, "--host", "example.invalid"}),
                     "--host example.invalid: not an IP address; use an address: 127.0.0.1 (this machine only), ::1, or "
                     "0.0.0.0 (every interface)");
}

TEST(CliUsage, ReservedVariableAndMissingInterpreterAreNamed) {
  // Already so before issue 19: pinned here.
  const auto reserved = fake_run("echo", {"--event", sqs_event(), "--env", "AWS_LAMBDA_RUNTIME_API=x"});
  EXPECT_EQ(reserved.exit_code, 2);
  ASSERT_EQ(reserved.err_lines().size(), 1u) << reserved.err;
  EXPECT_THAT(reserved.err, HasSubstr("AWS_LAMBDA_RUNTIME_API"));
  scratch_dir dir;
  const std::string script = dir.write("bootstrap", "#!/nonexistent/interpreter\necho hi\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  const auto r = lemu_cli({"run", script, "--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/interpreter"));
}

TEST(CliUsage, InvokeApiRecognisesTheAwsCliBase64Mistake) {
  serve_process s({fake_bootstrap, "--function-name", "fake", "--api", "none"});
  const auto post = [&](const std::string& body) {
    http_raw::connection c(s.port());
    return c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/fake/invocations", {}, body));
  };
  // `aws lambda invoke --payload '{"id":42}'` without --cli-binary-format raw-in-base64-out: the CLI v2
  // base64-decodes the text ('{', '"', ':' and '}' are skipped), "id42", and sends these three bytes.
  const auto binary = post("\x89\xde\x36");
  ASSERT_TRUE(binary.ok()) << binary.error;
  EXPECT_EQ(binary.res.status, 400);
  EXPECT_EQ(binary.res.header("x-amzn-ErrorType"), "InvalidRequestContentException");
  const json body = json::parse(binary.res.body);
  EXPECT_EQ(body.at("Type"), "User");
  const std::string message = body.at("Message");
  EXPECT_THAT(message, StartsWith("Could not parse request body into json: Could not parse payload into json: "
                                  "Unexpected character ("));
  EXPECT_THAT(message, HasSubstr("(code 137)"));
  EXPECT_THAT(message, HasSubstr("--cli-binary-format raw-in-base64-out"));
  // Base64 of JSON text itself.
  const auto encoded = post("eyJpZCI6NDJ9");
  ASSERT_TRUE(encoded.ok()) << encoded.error;
  EXPECT_EQ(encoded.res.status, 400);
  EXPECT_THAT(std::string(json::parse(encoded.res.body).at("Message")),
              HasSubstr("(lemu: the body is base64 of JSON: send the JSON itself"));
  // Text that is simply not JSON keeps AWS's message alone.
  const auto text = post("'test'");
  ASSERT_TRUE(text.ok()) << text.error;
  EXPECT_THAT(std::string(json::parse(text.res.body).at("Message")), Not(HasSubstr("lemu:")));
  EXPECT_EQ(s.stop(), 0);
}

// ---- 7. --help shows every default ---------------------------------------------------------------------

TEST(CliUsage, HelpShowsEveryDefault) {
  for (const std::string command : {"run", "replay", "serve"}) {
    const auto r = lemu_cli({command, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("=3\n")) << command << ": --timeout";
    EXPECT_THAT(r.out, HasSubstr("=10\n")) << command << ": --init-timeout";
    EXPECT_THAT(r.out, HasSubstr("=128\n")) << command << ": --memory";
    EXPECT_THAT(r.out, HasSubstr("=function.handler\n")) << command << ": --handler";
    EXPECT_THAT(r.out, HasSubstr("=us-east-1 ")) << command << ": --region";
  }
  const auto event = lemu_cli({"event", "--help"});
  EXPECT_THAT(event.out, HasSubstr("=GET "));
  EXPECT_THAT(event.out, HasSubstr("=example-bucket\n"));
  EXPECT_THAT(lemu_cli({"run", "--help"}).out, HasSubstr("--repeat UINT:>=1=1 ")); // and not "=[]" for lists
  EXPECT_THAT(lemu_cli({"run", "--help"}).out, Not(HasSubstr("=[]")));
}

// ---- 8. lemu event: options of the kind ----------------------------------------------------------------

TEST(CliUsage, EventRefusesOptionsItsKindDoesNotTake) {
  expect_usage_error(lemu_cli({"event", "s3", "--body", "x"}),
                     "--body does not apply to s3 events; s3 takes --bucket, --key, --size (and --region, --account, "
                     "--compact)");
  expect_usage_error(lemu_cli({"event", "function-url", "--stage", "dev"}),
                     "--stage does not apply to function-url events; function-url takes --method, --path, --query, "
                     "--header, --body, --body-file, --base64 (and --region, --account, --compact)");
  EXPECT_EQ(lemu_cli({"event", "alb", "--stage", "dev"}).exit_code, 2);
  const auto http = lemu_cli({"event", "apigw-http", "--stage", "dev", "--compact"});
  ASSERT_EQ(http.exit_code, 0) << http.err;
  EXPECT_EQ(json::parse(http.out).at("requestContext").at("stage"), "dev");
}

TEST(CliUsage, EventCountWithOneBodyMakesThatManyMessages) {
  const auto r = lemu_cli({"event", "sqs", "--count", "3", "--body", "a", "--compact"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json e = json::parse(r.out);
  ASSERT_EQ(e.at("Records").size(), 3u);
  for (const auto& rec : e.at("Records")) EXPECT_EQ(rec.at("body"), "a");
  expect_usage_error(lemu_cli({"event", "sqs", "--count", "3", "--body", "a", "--body", "b"}),
                     "--count makes N records of one body: give one --body with --count, or one --body per record "
                     "without --count");
}

// ---- 9. Lambda's limits: warnings, errors with --strict ------------------------------------------------

TEST(CliUsage, LambdaLimitsWarnAndStrictRefuses) {
  const auto r = fake_run("echo", {"--event", sqs_event(), "--timeout", "1000", "--memory", "64"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_prefix(r.err_lines(), "lemu: warning: "), 2u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lemu: warning: --timeout 1000: Lambda allows at most 900 s; lemu will run it anyway\n"));
  EXPECT_THAT(r.err, HasSubstr("lemu: warning: --memory 64: Lambda allows 128 to 10240 MB; lemu will run it anyway\n"));
  EXPECT_EQ(r.out_lines().size(), 1u);
  const auto big = fake_run("echo", {"--event", sqs_event(), "--memory", "20000"});
  EXPECT_THAT(big.err, HasSubstr("lemu: warning: --memory 20000: Lambda allows 128 to 10240 MB"));
  expect_usage_error(fake_run("echo", {"--event", sqs_event(), "--timeout", "1000", "--strict"}),
                     "--timeout 1000: Lambda allows at most 900 s (--strict keeps to Lambda's limits)");
  expect_usage_error(lemu_cli({"serve", fake_bootstrap, "--memory", "64", "--strict"}),
                     "--memory 64: Lambda allows 128 to 10240 MB (--strict keeps to Lambda's limits)");
  scratch_dir dir;
  const std::string capture = dir.write("c.jsonl", R"({"event":{},"response":{}})" "\n");
  expect_usage_error(lemu_cli({"replay", capture, "--bootstrap", fake_bootstrap, "--timeout", "901", "--strict"}),
                     "--timeout 901: Lambda allows at most 900 s (--strict keeps to Lambda's limits)");
  const auto within = fake_run("echo", {"--event", sqs_event(), "--timeout", "900", "--memory", "10240", "--strict"});
  EXPECT_EQ(within.exit_code, 0) << within.err;
  EXPECT_THAT(within.err, Not(HasSubstr("warning")));
}

// ---- 11. a closed stdout stops the run -----------------------------------------------------------------

TEST(CliUsage, ClosedStdoutStopsTheRun) {
  // `lemu run ... | head -1` over 200000 invocations: lemu notices the reader has gone, sends no more
  // events, prints the summary and exits 141 (as a shell reports a process that SIGPIPE stopped).
  const std::string script = std::string("'") + lemu_bin + "' run '" + fake_bootstrap + "' --handler echo --event '" +
                             sqs_event() + "' --repeat 200000 | head -1; echo \"lemu exit ${PIPESTATUS[0]}\" >&2";
  command_options o;
  o.deadline = std::chrono::seconds(60);
  const auto r = run_command({"/bin/bash", "-c", script}, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines().size(), 1u);
  EXPECT_THAT(r.err, HasSubstr("lemu exit 141"));
  EXPECT_THAT(r.err, HasSubstr("lemu: stdout was closed: stopped after "));
  const std::regex invocations("invocations ([0-9]+) ");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, invocations)) << r.err;
  EXPECT_LT(std::stoul(m[1]), 200000u) << "the run stopped early";
}

// ---- 5. what the docs say ------------------------------------------------------------------------------

TEST(CliUsage, BundledEventKeepsItsNameInJsonAndRecord) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl", capture = dir.path() + "/c.jsonl";
  const auto r = fake_run("echo", {"--event", "sqs/batch", "--json", report, "--record", capture});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json rec = json::parse(read_file(report));
  EXPECT_EQ(rec.at("source"), "sqs/batch");
  EXPECT_EQ(rec.at("name"), "sqs/batch");
  const json line = json::parse(read_file(capture));
  EXPECT_EQ(line.at("meta").at("name"), "sqs/batch");
  EXPECT_EQ(line.at("meta").at("source"), "sqs/batch");
}

TEST(CliUsage, DebugLevelLogsRuntimeApiConnectionsAndBadRequests) {
  // A bootstrap that first sends the Runtime API a request that is not HTTP, then runs as fake-bootstrap.
  scratch_dir dir;
  const std::string script = dir.write("bootstrap", std::string("#!/bin/bash\n"
                                                                "exec 3<>/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}\n"
                                                                "printf 'NOT HTTP\\r\\n\\r\\n' >&3\n"
                                                                "cat <&3 >/dev/null\n"
                                                                "exec '") + fake_bootstrap + "'\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  // --no-sandbox: the script execs a program of the build tree by its host path, hidden in the sandbox
  // when the tree is under /tmp (a fresh clone there).
  const auto r = lemu_cli({"run", script, "--no-sandbox", "--handler", "echo", "--event", sqs_event()},
                          with_env({{"SPDLOG_LEVEL", "debug"}}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lemu: debug: runtime api: connection from 127.0.0.1:"));
  EXPECT_THAT(r.err, HasSubstr("lemu: debug: runtime api: bad request: "));
  EXPECT_EQ(r.out_lines().size(), 1u); // stdout keeps only the outcome
  const auto quiet = fake_run("echo", {"--event", sqs_event()});
  EXPECT_THAT(quiet.err, Not(HasSubstr("debug")));
}

// ---- 12. a second Ctrl-C in serve ----------------------------------------------------------------------

TEST(CliUsage, SecondCtrlCInServeExits130AndInventsNoRow) {
  // Already so before issue 19 (CliServe.SecondCtrlCKillsWhatIsRunning covers the caller's 503): pinned here
  // for the summary. Two functions; one invocation hangs in `fake`, `other` never runs.
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  serve_process s({fake_bootstrap, "--function-name", "fake", "--handler", "by-event", "--function",
                   std::string("other=") + fake_bootstrap, "--timeout", "60", "--json", report, "--api", "none"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send(http_raw::request("POST", "/2015-03-31/functions/fake/invocations", {}, R"({"fake":"hang"})")));
  ASSERT_TRUE(s.process().wait_for_stderr("START RequestId: "));
  s.process().signal(SIGINT);
  ASSERT_TRUE(s.process().wait_for_stderr("lemu: stopping: 1 invocations in flight"));
  s.process().signal(SIGINT);
  EXPECT_EQ(s.process().wait(std::chrono::seconds(10)), 130);
  const std::string err = s.process().err();
  EXPECT_THAT(err, HasSubstr("function fake:\n"));
  EXPECT_THAT(err, HasSubstr("function other:\n"));
  EXPECT_THAT(err, HasSubstr("invocations 0 · succeeded 0 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
  EXPECT_THAT(err, Not(HasSubstr("env  invocations"))) << "no per-environment row for what never ran";
  EXPECT_THAT(err, HasSubstr("invoke cold       0         -")) << err;
  EXPECT_THAT(err, HasSubstr("crashes 0 · cancelled 1 · max memory used - of 128 MB")) << "no number for what never ran";
  EXPECT_EQ(read_file(report), "") << "nothing recorded for the cancelled invocation";
}
