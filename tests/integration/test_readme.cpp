// The README's quick start and docs/recipes.md's tested recipes, run as a newcomer runs them. A shell block
// that `<!-- tested: NAME -->` precedes is run with /bin/sh in a scratch folder laid out like the root of a
// checkout (`build`, `events` and `sample-functions` link to this build and source tree), and what it prints
// must be what the `<!-- output: NAME -->` block after it shows: the same lines in the same order within
// stdout and within stderr (the two streams may interleave in any way), once request ids, durations and
// memory figures are masked. So the README's commands and its sample output cannot drift from lemu.
//
// What the test changes, and only that: lemu is first on PATH (the README says to put it there), Debian's
// /usr/bin/aws next; the block
// `quickstart-serve` (`lemu serve ...`) runs in the background on free ports, and the Invoke API's and the
// front door's ports replace 3001 and 3000 in the blocks and outputs; in `recipe-node`, node_modules is a
// link to the copy scripts/setup.sh installed instead of `npm install` (which the README shows untested); the
// JavaScript SDK snippet (`sdk-js`) is written to invoke.mjs and run with node against the quick start's serve.

#include "integration/cli_fixture.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace lemu::test;
namespace fs = std::filesystem;

namespace {

struct doc_blocks {
  std::map<std::string, std::string> scripts, outputs; // by NAME, the fenced block's text
};

// The fenced blocks of `path` that a `<!-- tested: NAME -->` or `<!-- output: NAME -->` line precedes (blank
// lines between the comment and the fence allowed).
doc_blocks marked_blocks(const std::string& path) {
  static const std::regex marker(R"(^<!-- (tested|output): ([a-z0-9-]+) -->\s*$)");
  doc_blocks blocks;
  const auto lines = split_lines(read_file(path));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, marker)) continue;
    auto& into = m[1] == "tested" ? blocks.scripts : blocks.outputs;
    const std::string name = m[2];
    EXPECT_EQ(into.count(name), 0U) << path << ": two blocks marked " << m[1] << ": " << name;
    std::size_t j = i + 1;
    while (j < lines.size() && lines[j].empty()) ++j;
    EXPECT_TRUE(j < lines.size() && lines[j].rfind("```", 0) == 0) << path << ":" << i + 1 << ": no fenced block after the marker";
    std::string text;
    for (++j; j < lines.size() && lines[j].rfind("```", 0) != 0; ++j) text += lines[j] + "\n";
    EXPECT_LT(j, lines.size()) << path << ": the block after " << lines[i] << " is not closed";
    into[name] = text;
    i = j;
  }
  return blocks;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A line as the comparison sees it: what changes from run to run masked, runs of blanks (a REPORT line's
// tabs, a table's alignment) made one space, no blanks at either end.
std::string masked(std::string line) {
  static const std::vector<std::pair<std::regex, std::string>> rules{
      {std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"},
      {std::regex(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z)"), "<time>"},
      {std::regex(R"([0-9]+(\.[0-9]+)? ?ms\b)"), "<ms>"},
      {std::regex(R"((Max Memory Used:|max memory used) [0-9]+ MB)"), "$1 <mb> MB"},
      {std::regex(R"(MB of ([0-9]+) MB \((cgroup[^)]*|watcher)\))"), "MB of $1 MB (<containment>)"},
      {std::regex(R"([ \t]+)"), " "},
  };
  for (const auto& [pattern, with] : rules) line = std::regex_replace(line, pattern, with);
  const auto first = line.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return line.substr(first, line.find_last_not_of(' ') - first + 1);
}

std::vector<std::string> masked_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(text)) {
    if (auto m = masked(line); !m.empty()) out.push_back(std::move(m));
  }
  return out;
}

// True when `expected` is an interleaving of `out` and `err`: every line of each stream, in its order.
bool interleaves(const std::vector<std::string>& expected, const std::vector<std::string>& out,
                 const std::vector<std::string>& err) {
  if (expected.size() != out.size() + err.size()) return false;
  // reach[i][j]: the first i + j expected lines are the first i of out and the first j of err.
  std::vector<std::vector<bool>> reach(out.size() + 1, std::vector<bool>(err.size() + 1, false));
  reach[0][0] = true;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    for (std::size_t j = 0; j <= err.size(); ++j) {
      if (!reach[i][j]) continue;
      const auto& next = i + j < expected.size() ? expected[i + j] : std::string();
      if (i < out.size() && out[i] == next) reach[i + 1][j] = true;
      if (j < err.size() && err[j] == next) reach[i][j + 1] = true;
    }
  }
  return reach[out.size()][err.size()];
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += "  " + l + "\n";
  return text;
}

// Checks a command's output against the README's block `name` (masked as above).
void expect_output(const std::string& doc, const std::string& name, const std::string& expected, const std::string& out,
                   const std::string& err) {
  const auto want = masked_lines(expected);
  ASSERT_FALSE(want.empty()) << doc << ": the output block " << name << " is empty";
  const auto err_lines = masked_lines(err);
  EXPECT_TRUE(interleaves(want, masked_lines(out), err_lines))
      << doc << ": what `" << name << "` prints is not what the README shows.\nREADME (masked):\n"
      << joined(want) << "stdout (masked):\n"
      << joined(masked_lines(out)) << "stderr (masked):\n"
      << joined(masked_lines(err)) << "stdout as printed:\n"
      << out << "stderr as printed:\n"
      << err;
}

// A scratch folder laid out like the root of a checkout: build/, events/ and sample-functions/ are links.
struct checkout_like {
  scratch_dir dir;
  checkout_like() {
    fs::create_directory_symlink(build_dir, dir.path() + "/build");
    fs::create_directory_symlink(std::string(source_dir) + "/events", dir.path() + "/events");
    fs::create_directory_symlink(std::string(source_dir) + "/sample-functions", dir.path() + "/sample-functions");
  }
};

// The environment of every block: lemu first on PATH, then /usr/bin (so `aws` is Debian's AWS CLI v2, as the
// README asks, even where an older one comes first on this PATH), HOME the scratch folder, and an AWS CLI that
// reads no configuration file of the user's and pages nothing.
std::map<std::string, std::string> block_env(const std::string& home) {
  const char* path = std::getenv("PATH");
  return {{"PATH", fs::path(lemu_bin).parent_path().string() + ":/usr/bin:" + (path ? path : "/bin")},
          {"HOME", home},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"AWS_PAGER", ""},
          {"NO_COLOR", "1"}};
}

command_result run_block(const std::string& script, const std::string& cwd, const std::string& home) {
  command_options options;
  options.cwd = cwd;
  options.env = block_env(home);
  options.deadline = std::chrono::seconds(120);
  return run_command({"/bin/sh", "-e", "-c", script}, options);
}

std::string readme() { return std::string(source_dir) + "/README.md"; }
std::string recipes() { return std::string(source_dir) + "/docs/recipes.md"; }

const std::string& block(const std::map<std::string, std::string>& blocks, const std::string& doc, const std::string& name) {
  static const std::string none;
  const auto it = blocks.find(name);
  if (it == blocks.end()) {
    ADD_FAILURE() << doc << " has no block marked " << name;
    return none;
  }
  return it->second;
}

// Runs the tested block `name` of `doc` in `cwd` and compares its output with the block's output block.
void run_and_compare(const std::string& doc, const std::string& name, const std::string& cwd, const std::string& home) {
  const auto blocks = marked_blocks(doc);
  const auto& script = block(blocks.scripts, doc, name);
  const auto& expected = block(blocks.outputs, doc, name);
  ASSERT_FALSE(script.empty());
  const auto r = run_block(script, cwd, home);
  EXPECT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << "README block " << name << ":\n" << script << r.err;
  expect_output(doc, name, expected, r.out, r.err);
}

} // namespace

TEST(Readme, EveryTestedBlockHasItsOutputBlock) {
  for (const auto& doc : {readme(), recipes()}) {
    const auto blocks = marked_blocks(doc);
    EXPECT_FALSE(blocks.scripts.empty()) << doc;
    for (const auto& [name, script] : blocks.scripts) {
      EXPECT_EQ(blocks.outputs.count(name), 1U) << doc << ": the tested block " << name << " has no output block";
    }
    for (const auto& [name, output] : blocks.outputs) {
      EXPECT_EQ(blocks.scripts.count(name), 1U) << doc << ": the output block " << name << " shows no tested block";
    }
  }
}

// The README's test command is what CI runs: .ci/run's last command, a target the Makefile has.
TEST(Readme, TheTestCommandIsWhatCiRuns) {
  const auto ci = split_lines(read_file(std::string(source_dir) + "/.ci/run"));
  ASSERT_FALSE(ci.empty());
  EXPECT_EQ(ci.back(), "make test");
  EXPECT_THAT(read_file(readme()), ::testing::HasSubstr("\nmake test    # installs what is missing, builds (warnings are "
                                                          "errors), runs every test\n"));
  EXPECT_THAT(read_file(readme()), ::testing::HasSubstr("CI (`.ci/run`) runs `make test`"));
  EXPECT_THAT(read_file(std::string(source_dir) + "/Makefile"), ::testing::HasSubstr("\ntest: build "));
}

// `make` alone lists every target of the Makefile's .PHONY line, one line each, and runs nothing else.
TEST(Readme, PlainMakePrintsTheTargets) {
  const auto r = run_command({"make", "--no-print-directory", "-C", source_dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string phony;
  for (const auto& line : split_lines(read_file(std::string(source_dir) + "/Makefile"))) {
    if (line.rfind(".PHONY:", 0) == 0) phony = line.substr(7);
  }
  std::istringstream targets(phony);
  std::vector<std::string> listed;
  for (std::string t; targets >> t;) listed.push_back("make " + t);
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(r.out_lines().size(), listed.size()) << r.out;
  for (const auto& target : listed) {
    EXPECT_THAT(r.out_lines(), ::testing::Contains(::testing::MatchesRegex("  " + target + " +[a-z].*"))) << r.out;
  }
}

// The Docker build context leaves out build trees and installed npm packages.
TEST(Readme, DockerignoreKeepsBuildTreesAndNodeModulesOut) {
  const auto lines = split_lines(read_file(std::string(source_dir) + "/.dockerignore"));
  EXPECT_THAT(lines, ::testing::Contains("build*"));
  EXPECT_THAT(lines, ::testing::Contains("**/node_modules"));
}

TEST(Readme, QuickStartRun) {
  checkout_like root;
  run_and_compare(readme(), "quickstart-run", root.dir.path(), root.dir.path());
}

TEST(Readme, QuickStartServeTheAwsCliAndTheJavaScriptSdk) {
  checkout_like root;
  const auto blocks = marked_blocks(readme());
  const std::string serve_block = block(blocks.scripts, readme(), "quickstart-serve");
  const std::string client_block = block(blocks.scripts, readme(), "quickstart-client");

  // `lemu serve ARGS...`, one line: its arguments, paths made absolute (the serve runs from this folder).
  const auto lines = split_lines(serve_block);
  ASSERT_EQ(lines.size(), 1U) << serve_block;
  std::istringstream words(lines[0]);
  std::string word;
  words >> word;
  ASSERT_EQ(word, "lemu");
  words >> word;
  ASSERT_EQ(word, "serve");
  std::vector<std::string> args;
  while (words >> word) args.push_back(word.find('/') != std::string::npos ? root.dir.path() + "/" + word : word);

  serve_process serve(args, block_env(root.dir.path()));
  const std::string invoke = "127.0.0.1:" + std::to_string(serve.port());
  const std::string front_door = "127.0.0.1:" + std::to_string(serve.api_port());
  const auto local = [&](std::string text) {
    text = replace_all(std::move(text), "127.0.0.1:3001", invoke);
    return replace_all(std::move(text), "127.0.0.1:3000", front_door);
  };
  // The announcement, up to "ready": the folder the README ran in is `~/lemu`.
  const std::string announced = replace_all(serve.process().err(), root.dir.path(), "~/lemu");
  expect_output(readme(), "quickstart-serve", local(block(blocks.outputs, readme(), "quickstart-serve")), "", announced);

  const auto r = run_block(local(client_block), root.dir.path(), root.dir.path());
  EXPECT_EQ(r.exit_code, 0) << client_block << r.err;
  expect_output(readme(), "quickstart-client", local(block(blocks.outputs, readme(), "quickstart-client")), r.out, r.err);

  // docs/recipes.md's JavaScript SDK v3 snippet, as invoke.mjs, against the same lemu serve.
  const auto recipe_blocks = marked_blocks(recipes());
  const std::string modules = std::string(node_function_dir) + "/node_modules";
  ASSERT_TRUE(fs::exists(modules + "/@aws-sdk/client-lambda")) << "@aws-sdk/client-lambda is not installed: run scripts/setup.sh";
  fs::create_directory_symlink(modules, root.dir.path() + "/node_modules");
  root.dir.write("invoke.mjs", local(block(recipe_blocks.scripts, recipes(), "sdk-js")));
  const auto sdk = run_block("node invoke.mjs", root.dir.path(), root.dir.path());
  EXPECT_EQ(sdk.exit_code, 0) << sdk.err;
  // Its stdout only: the SDK may warn on stderr about the Node version, which is not the README's to show.
  expect_output(recipes(), "sdk-js", block(recipe_blocks.outputs, recipes(), "sdk-js"), sdk.out, "");
  EXPECT_EQ(serve.stop(), 0) << serve.process().err();
}

TEST(Readme, ShellRecipe) {
  checkout_like root;
  run_and_compare(recipes(), "recipe-shell", root.dir.path(), root.dir.path());
}

TEST(Readme, NodeRecipeThroughAwsLambdaRic) {
  const std::string modules = std::string(node_function_dir) + "/node_modules";
  ASSERT_TRUE(fs::exists(modules + "/aws-lambda-ric/index.mjs")) << "aws-lambda-ric is not installed: run scripts/setup.sh";
  checkout_like root;
  const std::string function_dir = root.dir.path() + "/hello-node";
  fs::create_directory(function_dir);
  fs::create_directory_symlink(modules, function_dir + "/node_modules");
  run_and_compare(recipes(), "recipe-node", function_dir, root.dir.path());
}

// The masking hides only what changes from run to run: a README line that differs in anything else fails.
TEST(Readme, TheComparisonCatchesADriftedLine) {
  const std::string out = "{\"id\":42}\n";
  const std::string err = "START RequestId: 2c4f0b6e-1a2b-4c3d-8e9f-0123456789ab Version: $LATEST\n"
                          "REPORT RequestId: 2c4f0b6e-1a2b-4c3d-8e9f-0123456789ab\tDuration: 0.18 ms\tBilled Duration: 1 ms\t"
                          "Memory Size: 128 MB\tMax Memory Used: 3 MB\t\n";
  const std::string shown = "START RequestId: 9a1e0b6e-1a2b-4c3d-8e9f-0123456789ab Version: $LATEST\n{\"id\":42}\n"
                            "REPORT RequestId: 9a1e0b6e-1a2b-4c3d-8e9f-0123456789ab  Duration: 2.50 ms  Billed Duration: 3 ms  "
                            "Memory Size: 128 MB  Max Memory Used: 9 MB\n";
  EXPECT_TRUE(interleaves(masked_lines(shown), masked_lines(out), masked_lines(err)));
  EXPECT_FALSE(interleaves(masked_lines(replace_all(shown, "Version", "Versions")), masked_lines(out), masked_lines(err)));
  EXPECT_FALSE(interleaves(masked_lines(replace_all(shown, "128 MB", "256 MB")), masked_lines(out), masked_lines(err)));
  EXPECT_FALSE(interleaves(masked_lines(replace_all(shown, "\"id\":42", "\"id\":43")), masked_lines(out), masked_lines(err)));
  EXPECT_FALSE(interleaves(masked_lines(shown + "one line more\n"), masked_lines(out), masked_lines(err)));
  // Out of order within one stream.
  EXPECT_FALSE(interleaves({masked_lines(err)[1], masked(out), masked_lines(err)[0]}, masked_lines(out), masked_lines(err)));
}
