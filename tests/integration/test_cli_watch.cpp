// --watch: lemu serve reloads a rebuilt bootstrap under load with no failed request, keeps the old code
// when the new file cannot start, runs the user's --build, and re-reads a template; lemu run and replay
// run again after each change. Rebuilds here write a new file and rename it over the bootstrap, as linkers
// and cargo do (a running executable cannot be written in place).

#include "integration/cli_fixture.hpp"
#include "support/background.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

// Replaces `target` with a copy of `from` (or `bytes` of it, a truncated build) the way a build does: write
// a new file beside it, make it executable, rename it over.
void rebuild(const fs::path& target, const std::string& from, std::size_t bytes = 0, bool executable = true) {
  std::ifstream in(from, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes) content.resize(bytes);
  const fs::path tmp = target.string() + ".tmp";
  std::ofstream(tmp, std::ios::binary) << content;
  fs::permissions(tmp, executable ? fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read
                                  : fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(tmp, target);
}

// Live processes whose executable is under `dir` (what must be gone once lemu stopped).
std::vector<int> processes_under(const fs::path& dir) {
  std::vector<int> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto exe = fs::read_symlink(entry.path() / "exe", ec);
    if (!ec && exe.string().rfind(dir.string(), 0) == 0 && process_alive(std::stoi(name))) found.push_back(std::stoi(name));
  }
  return found;
}

http_raw::read_result invoke(std::uint16_t port, const std::string& function, const std::string& body) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/" + function + "/invocations", {}, body));
}

// The old code is fake-bootstrap --handler tagged: {"tag":"none","event":...}; the new one, the echo sample.
bool is_old(const std::string& body) { return body.rfind("{\"tag\":", 0) == 0; }

} // namespace

TEST(CliWatch, ServeReloadsUnderLoadWithNoFailedRequest) {
  scratch_dir dir;
  const fs::path code = fs::path(dir.path()) / "target/lambda/orders";
  fs::create_directories(code);
  rebuild(code / "bootstrap", fake_bootstrap);
  serve_process s({code.string(), "--watch", "--handler", "tagged", "-c", "2", "--max-queue", "100"});
  ASSERT_TRUE(s.process().wait_for_stderr("lemu: watching 1 code folder(s)"));

  struct answer {
    clock_type::time_point sent;
    int status;
    bool old;
  };
  std::mutex m;
  std::vector<answer> answers;
  std::vector<std::string> failures;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  const auto load_until = clock_type::now() + std::chrono::seconds(5);
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      for (int n = 0; clock_type::now() < load_until && !stop; ++n) {
        const auto sent = clock_type::now();
        const auto r = invoke(s.port(), "orders", "{\"client\":" + std::to_string(i) + ",\"n\":" + std::to_string(n) + "}");
        std::lock_guard lock(m);
        if (!r.ok() || r.res.status != 200 || r.res.header("X-Amz-Function-Error")) {
          failures.push_back(r.ok() ? std::to_string(r.res.status) + " " + r.res.body : r.error);
        } else {
          answers.push_back({sent, r.res.status, is_old(r.res.body)});
        }
      }
    });
  }
  const auto answered = [&](std::size_t n) {
    return [&, n] {
      std::lock_guard lock(m);
      return answers.size() >= n;
    };
  };
  ASSERT_TRUE(wait_until(answered(200), std::chrono::seconds(10)));
  const auto written = clock_type::now();
  rebuild(code / "bootstrap", echo_bootstrap);
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: reload: " + (code / "bootstrap").string(), std::chrono::seconds(5)))
      << s.process().err();
  const auto reloaded = clock_type::now();
  for (auto& c : clients) c.join();

  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  std::size_t old_before = 0, new_after = 0, old_late = 0;
  const auto settled = written + std::chrono::milliseconds(200); // the default debounce
  for (const auto& a : answers) {
    if (a.old && a.sent < written) ++old_before;
    if (!a.old) ++new_after;
    if (a.old && a.sent > settled + std::chrono::seconds(1)) ++old_late;
  }
  EXPECT_GT(old_before, 0u);
  EXPECT_GT(new_after, 0u);
  EXPECT_EQ(old_late, 0u) << "responses from the old code more than 1 s after the writes settled";
  std::cerr << "[ watch ] " << answers.size() << " answers, reload seen "
            << std::chrono::duration_cast<std::chrono::milliseconds>(reloaded - written).count() << " ms after the write\n";

  // A broken rebuild keeps the running code: a truncated binary, then one without an execute bit.
  const std::size_t half = fs::file_size(echo_bootstrap) / 2;
  rebuild(code / "bootstrap", fake_bootstrap, half);
  EXPECT_TRUE(s.process().wait_for_stderr("is truncated: its ELF headers need", std::chrono::seconds(5)));
  EXPECT_THAT(s.process().err(), HasSubstr("the old code keeps serving until a good build arrives"));
  const auto still = invoke(s.port(), "orders", "{\"after\":\"truncated\"}");
  ASSERT_TRUE(still.ok()) << still.error;
  EXPECT_EQ(still.res.body, "{\"after\":\"truncated\"}"); // the echo code still answers
  rebuild(code / "bootstrap", fake_bootstrap, 0, /*executable=*/false);
  EXPECT_TRUE(s.process().wait_for_stderr("not executable (chmod +x it): the old code keeps serving", std::chrono::seconds(5)));
  const auto again = invoke(s.port(), "orders", "{\"after\":\"chmod\"}");
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.res.body, "{\"after\":\"chmod\"}");

  EXPECT_EQ(s.stop(), 0);
  EXPECT_TRUE(wait_until([&] { return processes_under(dir.path()).empty(); }, std::chrono::seconds(5)))
      << processes_under(dir.path()).size() << " processes left";
}

TEST(CliWatch, BuildRunsOnSourceChangesAndAFailedBuildKeepsTheOldCode) {
  scratch_dir dir;
  const fs::path root = dir.path();
  fs::create_directories(root / "out");
  rebuild(root / "out/bootstrap", fake_bootstrap);
  dir.write("src/main.txt", "v1\n");
  // The "build": fails while the source says so; else installs the echo sample as the new bootstrap.
  const std::string build = "if grep -q broken src/main.txt; then echo 'error: it does not compile' >&2; exit 3; fi; "
                            "cp " + std::string(echo_bootstrap) + " out/bootstrap.new && mv out/bootstrap.new out/bootstrap";
  serve_process s({(root / "out/bootstrap").string(), "--function-name", "fn", "--handler", "tagged", "--watch",
                   "--watch-debounce", "100", "--build", build},
                  {}, root.string());
  ASSERT_TRUE(s.process().wait_for_stderr("sources build with:"));

  dir.write("src/main.txt", "broken\n");
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: watch: the build failed (exit status 3", std::chrono::seconds(10)))
      << s.process().err();
  EXPECT_THAT(s.process().err(), HasSubstr("build: error: it does not compile"));
  const auto old_code = invoke(s.port(), "fn", "{}");
  ASSERT_TRUE(old_code.ok());
  EXPECT_TRUE(is_old(old_code.res.body)) << old_code.res.body;

  dir.write("src/main.txt", "v2\n");
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: reload: " + (root / "out/bootstrap").string(), std::chrono::seconds(10)))
      << s.process().err();
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: watch: built in "));
  const auto new_code = invoke(s.port(), "fn", "{\"v\":2}");
  ASSERT_TRUE(new_code.ok());
  EXPECT_EQ(new_code.res.body, "{\"v\":2}");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliWatch, ServeRereadsTheTemplate) {
  scratch_dir dir;
  const fs::path root = dir.path();
  fs::create_directories(root / "a");
  rebuild(root / "a/bootstrap", fake_bootstrap);
  const auto write_template = [&](const std::string& memory, const std::string& path) {
    dir.write("template.yaml.new", "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                                   "    Properties:\n      CodeUri: a\n      Runtime: provided.al2023\n      Handler: proxy-env\n"
                                   "      MemorySize: " + memory + "\n      Events:\n        Get:\n          Type: HttpApi\n"
                                   "          Properties: {Path: " + path + ", Method: GET}\n");
    fs::rename(root / "template.yaml.new", root / "template.yaml");
  };
  write_template("256", "/one");
  serve_process s({"--template", (root / "template.yaml").string(), "--watch", "--watch-debounce", "50"});
  const auto get = [&](const std::string& target) {
    http_raw::connection c(s.api_port());
    return c.roundtrip(http_raw::request("GET", target));
  };
  auto one = get("/one");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(json::parse(one.res.body)["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");

  write_template("512", "/two");
  ASSERT_TRUE(s.process().wait_for_stderr("lemu:   GET /two -> Fn", std::chrono::seconds(5))) << s.process().err();
  const auto two = get("/two");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(json::parse(two.res.body)["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
  one = get("/one");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.res.status, 404);

  // A template that no longer parses keeps everything running.
  dir.write("template.yaml.new", "Resources: [\n");
  fs::rename(root / "template.yaml.new", root / "template.yaml");
  EXPECT_TRUE(s.process().wait_for_stderr("the running functions keep serving", std::chrono::seconds(5)));
  EXPECT_EQ(get("/two").res.status, 200);
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliWatch, RunAndReplayRunAgainAfterEachRebuild) {
  scratch_dir dir;
  const fs::path code = fs::path(dir.path()) / "fn";
  fs::create_directories(code);
  rebuild(code / "bootstrap", fake_bootstrap);
  const std::string event = dir.write("e.json", "{\"n\":1}");

  background_process run({lemu_bin, "run", code.string(), "--handler", "tagged", "--event", event, "--watch",
                          "--watch-debounce", "50"});
  ASSERT_TRUE(run.wait_for_stderr("lemu: watch: waiting for changes"));
  rebuild(code / "bootstrap", echo_bootstrap);
  ASSERT_TRUE(run.wait_for_stderr("lemu: watch: waiting for changes", std::chrono::seconds(10), 2)) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("changed: running again"));
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 0);
  const auto lines = split_lines(run.out());
  ASSERT_EQ(lines.size(), 2u) << run.out();
  EXPECT_TRUE(is_old(lines[0]));
  EXPECT_EQ(lines[1], "{\"n\":1}");

  // replay --watch: the capture of the echo code, replayed again after each rebuild.
  const std::string capture = (fs::path(dir.path()) / "c.jsonl").string();
  ASSERT_EQ(lemu_run(code.string(), {"--event", event, "--record", capture}).exit_code, 0);
  background_process replay({lemu_bin, "replay", capture, "--bootstrap", code.string(), "--handler", "tagged", "--watch",
                             "--watch-debounce", "50"});
  ASSERT_TRUE(replay.wait_for_stderr("lemu: watch: waiting for changes")) << replay.err();
  rebuild(code / "bootstrap", fake_bootstrap); // now the outcome differs from the capture
  ASSERT_TRUE(replay.wait_for_stderr("lemu: watch: waiting for changes", std::chrono::seconds(10), 2)) << replay.err();
  EXPECT_THAT(replay.err(), HasSubstr("lemu: replay: 1 of 1 outcomes differ from the capture"));
  replay.signal(SIGINT);
  EXPECT_EQ(replay.wait(), 1); // the last round's exit code
}
