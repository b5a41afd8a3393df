// lemu as the Runtime Interface Emulator of a Lambda container image: an image in the style of the Lambda
// base images (tests/docker/lambda-image: /lambda-entrypoint.sh runs aws-lambda-rie when
// AWS_LAMBDA_RUNTIME_API is unset, the handler is the CMD) with the static lemu of the `lemu` image
// copied in as /usr/local/bin/aws-lambda-rie. Invoked with curl as users do, then by 8 clients at once
// for 10 s (overlapping invocations, which crash RIE itself): every request is answered.

#include "docker/docker_support.hpp"

#include "lemu_test_paths.hpp"
#include "support/http_raw.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <thread>

using namespace lemu::test;
using ::testing::HasSubstr;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

const std::string invocations = "/2015-03-31/functions/function/invocations";

// Builds the Lambda-style image from tests/docker/lambda-image with the fake bootstrap as its runtime;
// removes it when done.
class lambda_image {
public:
  lambda_image() : m_name(unique_name("lambda-image")) {
    const std::string here = std::string(source_dir) + "/tests/docker/lambda-image";
    fs::copy(here, m_context.path(), fs::copy_options::recursive);
    fs::create_directories(m_context.path() + "/runtime");
    fs::create_directories(m_context.path() + "/task");
    fs::copy_file(fake_bootstrap, m_context.path() + "/runtime/bootstrap");
    m_context.write("task/function.txt", "the function's code\n");
    const auto r = run_command({"docker", "build", "-t", m_name, m_context.path()}, with_timeout());
    built = r.exit_code == 0;
    EXPECT_TRUE(built) << r.out << r.err;
  }
  ~lambda_image() { run_command({"docker", "rmi", "-f", m_name}); }
  lambda_image(const lambda_image&) = delete;
  lambda_image& operator=(const lambda_image&) = delete;

  const std::string& name() const { return m_name; }
  bool built = false;

private:
  static command_options with_timeout() {
    command_options o;
    o.deadline = std::chrono::minutes(5);
    return o;
  }
  scratch_dir m_context;
  std::string m_name;
};

http_raw::read_result invoke(std::uint16_t port, const std::string& payload) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("POST", invocations, {}, payload));
}

} // namespace

TEST(Rie, LambdaStyleImageAnswersEveryOneOfEightConcurrentClientsFor10Seconds) {
  lambda_image image;
  ASSERT_TRUE(image.built);
  const std::string name = unique_name("rie");
  // -p 9000:8080 where Docker has a bridge network; here the host's network (the emulator's 8080).
  background_process p({"docker", "run", "--rm", "--name", name, "--network", "host", image.name(), "echo"});
  ASSERT_TRUE(p.wait_for_stderr("lemu: ready", std::chrono::seconds(60))) << p.err();
  EXPECT_THAT(p.err(), HasSubstr("Invoke API on http://0.0.0.0:8080"));

  // As users do: curl -XPOST localhost:9000/2015-03-31/functions/function/invocations -d '{}'
  auto r = run_command({"curl", "-s", "-XPOST", "http://127.0.0.1:8080" + invocations, "-d", "{}"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{}");

  // 8 clients, each on its own keep-alive connection, back to back for 10 s.
  std::atomic<std::size_t> answered{0}, failed{0};
  std::mutex mutex;
  std::string first_failure;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      http_raw::connection conn(8080);
      for (std::size_t i = 0; std::chrono::steady_clock::now() < until; ++i) {
        const std::string payload = R"({"client":)" + std::to_string(c) + R"(,"n":)" + std::to_string(i) + "}";
        const auto res = conn.roundtrip(http_raw::request("POST", invocations, {}, payload), std::chrono::seconds(30));
        if (res.ok() && res.res.status == 200 && res.res.body == payload) {
          ++answered;
          continue;
        }
        ++failed;
        std::lock_guard lock(mutex);
        if (first_failure.empty()) first_failure = res.error + " " + std::to_string(res.res.status) + " " + res.res.body;
        conn = http_raw::connection(8080);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0U) << first_failure;
  EXPECT_GT(answered.load(), 100U);
  std::printf("aws-lambda-rie (lemu): 8 clients for 10 s: %zu invocations answered, %zu failed\n", answered.load(),
              failed.load());
  RecordProperty("answered", std::to_string(answered.load()));

  EXPECT_EQ(run_command({"docker", "stop", name}).exit_code, 0);
  EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.err().substr(p.err().size() > 3000 ? p.err().size() - 3000 : 0);
  // Once it has stopped (its stderr flushed): RIE's settings, 3008 MB, one environment (one cold start),
  // a REPORT per invocation, the real init duration.
  EXPECT_THAT(p.err(), HasSubstr("Memory Size: 3008 MB"));
  EXPECT_EQ(count_prefix(split_lines(p.err()), "REPORT RequestId: "), answered.load() + 1);
  EXPECT_EQ(count_prefix(split_lines(p.err()), "REPORT RequestId: "), count_prefix(split_lines(p.err()), "START RequestId: "));
  EXPECT_THAT(p.err(), HasSubstr("Init Duration: "));
}

TEST(Rie, EnvironmentFlagsAndTheDefaultBootstrap) {
  lambda_image image;
  ASSERT_TRUE(image.built);
  const std::string name = unique_name("rie");
  // aws-lambda-rie itself as the entrypoint, no BOOTSTRAP: /var/runtime/bootstrap. The handler and the
  // settings come from the environment, like every other variable of the container.
  background_process p({"docker", "run", "--rm", "--name", name, "--network", "host", "-e", "_HANDLER=env", "-e",
                        "AWS_LAMBDA_FUNCTION_NAME=orders", "-e", "AWS_LAMBDA_FUNCTION_TIMEOUT=5", "-e", "FOO=bar",
                        "--entrypoint", "/usr/local/bin/aws-lambda-rie", image.name(),
                        "--runtime-interface-emulator-address", "127.0.0.1:8080", "--enable-init-caching",
                        "--log-level", "info"});
  ASSERT_TRUE(p.wait_for_stderr("lemu: ready", std::chrono::seconds(60))) << p.err();
  EXPECT_THAT(p.err(), HasSubstr("--enable-init-caching is accepted and ignored"));
  EXPECT_THAT(p.err(), ::testing::Not(HasSubstr("listening on 0.0.0.0")));
  const auto r = invoke(8080, "{}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  const json got = json::parse(r.res.body);
  EXPECT_EQ(got["argv"], json::parse(R"(["/var/runtime/bootstrap"])"));
  EXPECT_EQ(got["cwd"], "/var/task");
  const json& env = got["env"];
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "orders");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "3008");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
  EXPECT_EQ(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:9001");
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"], "/var/task");
  EXPECT_EQ(env["_HANDLER"], "env");
  EXPECT_EQ(env["FOO"], "bar");
  EXPECT_EQ(run_command({"docker", "stop", name}).exit_code, 0);
  EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.err();
}
