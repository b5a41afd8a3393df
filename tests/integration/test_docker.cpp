// docker/Dockerfile without an engine: every step it runs must be one of the project's scripts, and the
// test suite runs each of those scripts; an installed lemu (what the image ships) finds its bundled events
// and the capture schema. The image itself is built and run by the docker tests (tests/docker).

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

using namespace lemu::test;

namespace {

// The commands of every RUN instruction (continuation lines joined, split on &&).
std::vector<std::string> run_commands(const std::string& dockerfile) {
  std::string joined = std::regex_replace(dockerfile, std::regex("\\\\\n"), " ");
  std::vector<std::string> commands;
  for (const auto& line : split_lines(joined)) {
    if (line.rfind("RUN ", 0) != 0) continue;
    std::string rest = line.substr(4);
    std::size_t start = 0;
    for (;;) {
      const auto amp = rest.find("&&", start);
      std::string cmd = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      cmd = std::regex_replace(cmd, std::regex("^\\s+|\\s+$"), "");
      commands.push_back(cmd);
      if (amp == std::string::npos) break;
      start = amp + 2;
    }
  }
  return commands;
}

} // namespace

TEST(Docker, EveryRunStepIsAProjectScript) {
  const std::string dockerfile = read_file(std::string(source_dir) + "/docker/Dockerfile");
  const auto commands = run_commands(dockerfile);
  ASSERT_FALSE(commands.empty());
  std::set<std::string> scripts;
  const std::regex script("^(?:scripts|/usr/local/lib/lemu)/([a-z-]+\\.sh)(?: .*)?$");
  for (const auto& c : commands) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(c, m, script)) << "not a project script: " << c;
    scripts.insert(m[1]);
  }
  EXPECT_EQ(scripts, (std::set<std::string>{"build.sh", "setup.sh", "static-deps.sh"}));
  // The runtime stage runs nothing: the static lemu needs no package.
  EXPECT_THAT(dockerfile, ::testing::HasSubstr("RUN scripts/build.sh --build-dir /tmp/build --release --static --no-tests"));
}

TEST(Docker, TheScriptsItRunsWork) {
  // setup.sh: `make test` runs it in full; the image runs its --build-only part.
  auto r = run_command({std::string(source_dir) + "/scripts/setup.sh", "--build-only"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // build.sh: `make build` (and so `make test`) builds through it.
  EXPECT_THAT(read_file(std::string(source_dir) + "/Makefile"), ::testing::HasSubstr("scripts/build.sh --build-dir"));
  // runtime-deps.sh (for a dynamic lemu installed in a slim image): its packages cover every shared
  // library lemu loads.
  r = run_command({std::string(source_dir) + "/scripts/runtime-deps.sh", "--check", lemu_bin});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Install, InstalledLemuFindsBundledEventsAndTheSchema) {
  scratch_dir dir;
  const std::string prefix = dir.path() + "/prefix";
  auto r = run_command({"cmake", "--install", build_dir, "--prefix", prefix});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(prefix + "/share/lemu/schemas/capture.schema.json"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/share/lemu/events/sqs/single-message.json"));
  command_options o;
  o.cwd = dir.path(); // no events/ folder here: `sqs/batch` must come from the installed share/lemu/events
  r = run_command({prefix + "/bin/lemu", "run", echo_bootstrap, "--event", "sqs/batch"}, o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(read_file(std::string(events_dir) + "/sqs/batch.json")));
}
