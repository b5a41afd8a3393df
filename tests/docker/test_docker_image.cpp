// The lemu image, for real: built from docker/Dockerfile with docker/README.md's command, then run as the
// README shows, with functions on a mounted volume: outcomes and logs, exit codes, replay reports owned by
// the calling user, lemu serve answering the AWS CLI on the host, Ctrl-C and `docker stop`, orphans reaped.

#include "docker/docker_support.hpp"

#include "lemu_test_paths.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace lemu::test;
using ::testing::HasSubstr;

namespace {

namespace fs = std::filesystem;

const std::string state_dir = std::string(build_dir) + "/docker-state";
const std::string event_file = std::string(events_dir) + "/sqs/single-message.json";

std::string image_id(const std::string& name) {
  const auto r = run_command({"docker", "image", "inspect", "--format", "{{.Id}}", name});
  return r.exit_code == 0 ? std::string(split_lines(r.out).at(0)) : std::string();
}

// A bootstrap script that runs the fake bootstrap (copied beside it) in `mode` ("MODE [NAME=VALUE...]",
// exported): the fake picks its behaviour from _HANDLER, and the README's commands pass no --handler.
void install_fake(const std::string& dir, const std::string& mode) {
  fs::copy_file(fake_bootstrap, dir + "/fake", fs::copy_options::overwrite_existing);
  std::ofstream(dir + "/bootstrap") << "#!/bin/sh\nexport _HANDLER=" << mode << "\nexec /var/task/fake \"$@\"\n";
  fs::permissions(dir + "/bootstrap", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                          fs::perms::others_read | fs::perms::others_exec);
  ::chmod(dir.c_str(), 0777);
}

void add_event(const std::string& dir) {
  fs::create_directories(dir + "/events");
  fs::copy_file(event_file, dir + "/events/sqs.json", fs::copy_options::overwrite_existing);
  ::chmod((dir + "/events").c_str(), 0777);
}

// Waits until `condition` holds, polling every 50 ms, for at most `timeout`.
template <typename F> bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

const std::string aws_invoke = "/usr/bin/aws lambda invoke --endpoint-url http://127.0.0.1:3001 --function-name task "
                               "--payload '{\"id\":42}' --cli-binary-format raw-in-base64-out out.json";


} // namespace

// --- fixtures (registered by tests/CMakeLists.txt as FIXTURES_SETUP / FIXTURES_CLEANUP) -------------------

// Now in UTC as Docker writes image creation times, to the second: 2026-12-01T17:58:03.
std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
  return text;
}

std::vector<std::string> all_containers() { return run_command({"docker", "ps", "-aq", "--no-trunc"}).out_lines(); }

TEST(DockerSetup, BuildTheImage) {
  fs::create_directories(state_dir);
  std::ofstream(state_dir + "/lemu-image-before") << image_id("lemu");
  std::ofstream(state_dir + "/build-started") << utc_now();
  const auto containers_before = all_containers();
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_readme_command("docker build --network host -f docker/Dockerfile -t lemu .", source_dir,
                                    std::chrono::minutes(30));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (r.exit_code != 0) {
    // A failed RUN step leaves its container behind (docker build removes them only after a success).
    for (const auto& id : all_containers()) {
      if (std::find(containers_before.begin(), containers_before.end(), id) == containers_before.end()) {
        run_command({"docker", "rm", "-f", id});
      }
    }
  }
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(r.out.size() > 20000 ? r.out.size() - 20000 : 0) << r.err;
  const auto size = run_command({"docker", "image", "inspect", "--format", "{{.Size}}", "lemu"});
  const double mb = std::stod(size.out) / 1e6;
  std::ofstream(state_dir + "/lemu-image.txt") << "image lemu: " << mb << " MB, docker build " << seconds << " s\n";
  std::printf("image lemu: %.1f MB, docker build %.0f s\n", mb, seconds);
}

TEST(DockerSetup, RemoveTheImage) {
  const std::string before = read_file(state_dir + "/lemu-image-before");
  const std::string now = image_id("lemu");
  if (now.empty() || now == before) return; // nothing new (or the build reused the image that was there)
  // --no-prune keeps the parent layers: they are the build cache of the next run.
  if (!before.empty()) {
    EXPECT_EQ(run_command({"docker", "tag", before, "lemu"}).exit_code, 0);
  }
  const auto r = run_command({"docker", "rmi", "--no-prune", now});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The cache of earlier runs goes (with vfs storage every layer is a whole copy: a build's layers take
  // gigabytes): untagged images of docker/Dockerfile (its LABEL) made before this run's build, and their
  // untagged parents unless this run's layers (the cached build tools) stand on them.
  const std::string started = read_file(state_dir + "/build-started");
  if (started.size() != 19) return;
  for (const auto& id : run_command({"docker", "images", "-q", "--no-trunc", "--filter", "dangling=true", "--filter",
                                     "label=org.lemu.dockerfile=docker/Dockerfile"})
                            .out_lines()) {
    const auto created = run_command({"docker", "image", "inspect", "--format", "{{.Created}}", id});
    if (created.exit_code == 0 && created.out.substr(0, 19) < started) run_command({"docker", "rmi", id});
  }
}

// --- the image ---------------------------------------------------------------------------------------------

TEST(DockerImage, EntrypointIsLemuAndTheImageIsLean) {
  auto r = run_command({"docker", "run", "--rm", "lemu", "--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0.1.0\n");
  // No package lists, no downloaded packages, no documentation.
  r = run_command({"docker", "run", "--rm", "--entrypoint", "/bin/sh", "lemu", "-c",
                   "find /var/lib/apt/lists /var/cache/apt /usr/share/man -type f -size +0; "
                   "find /usr/share/doc -type f -not -name copyright"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const auto size = run_command({"docker", "image", "inspect", "--format", "{{.Size}}", "lemu"});
  // debian:bookworm-slim is 75 MB; the static lemu adds a few MB.
  EXPECT_LT(std::stod(size.out) / 1e6, 90.0);
}

TEST(DockerImage, ItsLemuIsStaticAndRunsInAnEmptyImage) {
  // scripts/build.sh --static: no shared library at all, so lemu can be copied into any Linux image.
  auto r = run_command({"docker", "run", "--rm", "--entrypoint", "/bin/sh", "lemu", "-c", "ldd /usr/local/bin/lemu"});
  EXPECT_THAT(r.out + r.err, HasSubstr("not a dynamic executable"));
  scratch_dir context;
  context.write("Dockerfile", "FROM lemu AS lemu\nFROM scratch\nCOPY --from=lemu /usr/local/bin/lemu /lemu\n"
                              "ENTRYPOINT [\"/lemu\"]\n");
  const std::string name = unique_name("scratch");
  r = run_command({"docker", "build", "-t", name, context.path()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command({"docker", "run", "--rm", name, "event", "sqs"});
  run_command({"docker", "rmi", "-f", name});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["Records"][0]["eventSource"], "aws:sqs");
}

// --- lemu run -----------------------------------------------------------------------------------------------

TEST(DockerRun, OutcomesOnStdoutReportAndSummaryOnStderr) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  install_function(dir.path(), echo_bootstrap);
  add_event(dir.path());
  const auto r = run_readme_command(
      R"(docker run --rm -v "$PWD:/var/task" lemu run /var/task/bootstrap --event /var/task/events/sqs.json)", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(read_file(event_file)));
  EXPECT_EQ(count_prefix(r.err_lines(), "REPORT RequestId: "), 1U) << r.err;
  EXPECT_THAT(r.err, HasSubstr("invocations 1 · succeeded 1 · errors 0"));
  EXPECT_TRUE(cleanup.list().empty()) << "--rm removes the container";
}

TEST(DockerRun, ExitCodesAreLemusOwn) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  add_event(dir.path());
  dir.write("bad.json", "{\"Records\": [}\n");
  install_fake(dir.path(), "error");
  const std::string run = R"(docker run --rm -v "$PWD:/var/task" lemu run /var/task/bootstrap --event )";
  // 1: an invocation failed (the function returned an error)
  auto r = run_shell(run + "/var/task/events/sqs.json", dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("errors 1"));
  // 2: bad input, nothing runs
  r = run_shell(run + "/var/task/bad.json", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lemu: error: /var/task/bad.json:1:"));
  EXPECT_THAT(r.err, HasSubstr("invalid JSON"));
  // 0
  install_fake(dir.path(), "echo");
  r = run_shell(run + "/var/task/events/sqs.json", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(DockerRun, CtrlCStopsTheFunctionAndExits130) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  add_event(dir.path());
  install_fake(dir.path(), "sleep:60000");
  auto p = start_shell(
      R"(docker run --rm -v "$PWD:/var/task" lemu run /var/task/bootstrap --event /var/task/events/sqs.json --timeout 120)",
      dir.path());
  ASSERT_TRUE(p->wait_for_stderr("START RequestId: ", std::chrono::seconds(60))) << p->err();
  const auto sent = std::chrono::steady_clock::now();
  p->signal(SIGINT); // the docker CLI forwards it to the container
  EXPECT_EQ(p->wait(std::chrono::seconds(30)), 130) << p->err();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(8)) << "not docker's 10 s kill";
  // The invocation in flight is cancelled (not the function's outcome): counted apart, nothing on stdout.
  EXPECT_THAT(p->err(), HasSubstr("invocations 0 · succeeded 0 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
  EXPECT_TRUE(p->out().empty()) << p->out();
  EXPECT_TRUE(eventually([&] { return cleanup.list().empty(); })) << "the container is removed";
}

// --- lemu replay --------------------------------------------------------------------------------------------

TEST(DockerReplay, JUnitAndHtmlOnTheVolumeOwnedByTheCallingUser) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  install_function(dir.path(), echo_bootstrap);
  fs::create_directories(dir.path() + "/captures");
  // A capture recorded outside the container.
  auto r = run_command({lemu_bin, "run", echo_bootstrap, "--event", std::string(events_dir) + "/sqs", "--record",
                        dir.path() + "/captures/orders.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string replay = R"sh(docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/var/task" lemu replay )sh"
                             R"(/var/task/captures/orders.jsonl --bootstrap /var/task/bootstrap )"
                             R"(--junit /var/task/junit.xml --html /var/task/report.html)";
  ASSERT_TRUE(readme_has(replay));
  // The calling user is not root (as root, every file is root's anyway): root runs the command as a
  // throwaway uid that may use the engine's socket.
  uid_t uid = ::getuid();
  std::string command = replay;
  if (uid == 0) {
    uid = 4242;
    struct stat socket {};
    ASSERT_EQ(::stat("/var/run/docker.sock", &socket), 0);
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) ::chown(entry.path().c_str(), uid, uid);
    ::chown(dir.path().c_str(), uid, uid);
    command = "setpriv --reuid 4242 --regid 4242 --groups " + std::to_string(socket.st_gid) + " -- bash -c '" +
              std::regex_replace(replay, std::regex("'"), "'\\''") + "'";
  }
  r = run_shell(command, dir.path(), std::chrono::seconds(120), {{"HOME", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("invocations 4 · succeeded 4"));
  for (const char* name : {"junit.xml", "report.html"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, uid) << name;
  }
  const auto check = run_command(
      {"xmllint", "--noout", "--schema", std::string(test_data_dir) + "/junit/JUnit.xsd", dir.path() + "/junit.xml"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(read_file(dir.path() + "/junit.xml"), HasSubstr(R"(tests="4" failures="0" errors="0")"));
  EXPECT_THAT(read_file(dir.path() + "/report.html"), HasSubstr("<html"));
}

// --- lemu serve ---------------------------------------------------------------------------------------------

TEST(DockerServe, AnswersTheAwsCliOnTheHostNetworkAndStopsOnCtrlC) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  install_fake(dir.path(), "echo");
  const std::string serve = R"(docker run --rm --network host -v "$PWD:/var/task" lemu serve /var/task/bootstrap)";
  ASSERT_TRUE(readme_has(serve));
  auto p = start_shell(serve, dir.path());
  ASSERT_TRUE(p->wait_for_stderr("lemu: ready", std::chrono::seconds(60))) << p->err();
  ASSERT_TRUE(readme_has(aws_invoke));
  const auto r = run_shell(aws_invoke, dir.path(), std::chrono::seconds(60), aws_env(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"StatusCode\": 200"));
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.path() + "/out.json")), nlohmann::json::parse(R"({"id":42})"));
  p->signal(SIGINT);
  EXPECT_EQ(p->wait(std::chrono::seconds(30)), 0) << p->err();
  EXPECT_THAT(p->err(), HasSubstr("invocations 1 · succeeded 1"));
  EXPECT_TRUE(eventually([&] { return cleanup.list().empty(); }));
}

TEST(DockerServe, AllInterfacesInAContainerReapsOrphansAndStopsOnDockerStop) {
  scratch_dir dir;
  containers_of cleanup(dir.path());
  // Every invocation forks a child that ignores SIGTERM and outlives it; the runtime prints its pid.
  install_fake(dir.path(), "fork-grandchild FAKE_LOG_PID=1");
  // With Docker's bridge network, the README's command publishes the ports on the host's loopback; an
  // engine without one (as ours) runs the same lemu command on the host's network.
  const bool bridge = run_command({"docker", "network", "inspect", "bridge"}).exit_code == 0;
  const std::string published = R"(docker run --rm -p 127.0.0.1:3001:3001 -p 127.0.0.1:3000:3000 -v "$PWD:/var/task" )"
                                R"(lemu serve /var/task/bootstrap --host 0.0.0.0)";
  ASSERT_TRUE(readme_has(published));
  const std::string serve =
      bridge ? published
             : R"(docker run --rm --network host -v "$PWD:/var/task" lemu serve /var/task/bootstrap --host 0.0.0.0)";
  auto p = start_shell(serve, dir.path());
  ASSERT_TRUE(p->wait_for_stderr("lemu: ready", std::chrono::seconds(60))) << p->err();
  EXPECT_THAT(p->err(), HasSubstr("lemu: warning: listening on 0.0.0.0"));
  std::string id;
  ASSERT_TRUE(eventually([&] {
    const auto ids = cleanup.list();
    if (!ids.empty()) id = ids.front();
    return !ids.empty();
  }));

  auto r = run_shell(aws_invoke, dir.path(), std::chrono::seconds(60), aws_env(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.path() + "/out.json")), nlohmann::json::parse(R"({"id":42})"));
  const auto functions = [&] {
    std::size_t n = 0;
    for (const auto& line : container_processes(id)) n += line.find("/var/task/fake") != std::string::npos ? 1 : 0;
    return n;
  };
  EXPECT_EQ(functions(), 2U) << ::testing::PrintToString(container_processes(id));
  // The runtime dies (killed from outside): lemu kills what is left of its process group, and the
  // grandchild, orphaned, is PID 1's to reap.
  const std::string err = p->err();
  const auto at = err.find("fake-bootstrap: pid ");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string pid = err.substr(at + 20, err.find('\n', at) - at - 20);
  r = run_command({"docker", "exec", id, "sh", "-c", "kill -KILL " + pid});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto no_zombie = [&] {
    for (const auto& line : container_processes(id)) {
      if (!line.empty() && line[0] == 'Z') return false;
    }
    return functions() == 0;
  };
  EXPECT_TRUE(eventually(no_zombie, std::chrono::seconds(10))) << ::testing::PrintToString(container_processes(id));

  // docker stop: SIGTERM to PID 1, forwarded to lemu, which stops as on Ctrl-C (exit 0), well before
  // docker's 10 s SIGKILL.
  const auto sent = std::chrono::steady_clock::now();
  r = run_command({"docker", "stop", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(p->wait(std::chrono::seconds(30)), 0) << p->err();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(8));
  EXPECT_THAT(p->err(), HasSubstr("invocations 1 · succeeded 1"));
}
