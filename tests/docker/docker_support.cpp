#include "docker/docker_support.hpp"

#include "lemu_test_paths.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>

namespace lemu::test {

namespace {

// The commands of docker/README.md's ```sh blocks, continuation lines joined with one space.
std::vector<std::string> readme_commands() {
  std::vector<std::string> commands;
  bool in_shell = false;
  std::string pending;
  for (const auto& line : split_lines(read_file(std::string(source_dir) + "/docker/README.md"))) {
    if (line.rfind("```", 0) == 0) {
      in_shell = !in_shell && (line == "```sh" || line == "```bash");
      continue;
    }
    if (!in_shell) continue;
    std::string text = pending.empty() ? line : pending + std::regex_replace(line, std::regex("^\\s+"), "");
    if (!text.empty() && text.back() == '\\') {
      text.pop_back();
      pending = text.substr(0, text.find_last_not_of(" \t") + 1) + " ";
      continue;
    }
    pending.clear();
    commands.push_back(text);
  }
  return commands;
}

std::string in_folder(const std::string& command, const std::string& cwd) {
  return "cd '" + cwd + "' && exec " + command;
}

} // namespace

bool readme_has(const std::string& command) {
  for (const auto& c : readme_commands()) {
    if (c == command) return true;
  }
  ADD_FAILURE() << "docker/README.md does not show this command (the tests run the README's commands):\n"
                << command;
  return false;
}

command_result run_readme_command(const std::string& command, const std::string& cwd, std::chrono::milliseconds deadline,
                                  const std::map<std::string, std::string>& env) {
  readme_has(command);
  return run_shell(command, cwd, deadline, env);
}

command_result run_shell(const std::string& command, const std::string& cwd, std::chrono::milliseconds deadline,
                         const std::map<std::string, std::string>& env) {
  command_options o;
  o.deadline = deadline;
  o.env = env;
  return run_command({"bash", "-c", in_folder(command, cwd)}, o);
}

std::unique_ptr<background_process> start_shell(const std::string& command, const std::string& cwd,
                                                const std::map<std::string, std::string>& env) {
  return std::make_unique<background_process>(std::vector<std::string>{"bash", "-c", in_folder(command, cwd)}, env);
}

std::string unique_name(const std::string& what) {
  static std::atomic<int> counter{0};
  return "lemu-test-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::vector<std::string> containers_of::list() const {
  std::vector<std::string> ids;
  const auto all = run_command({"docker", "ps", "-aq", "--no-trunc"});
  for (const auto& id : all.out_lines()) {
    const auto mounts = run_command({"docker", "inspect", "--format", "{{range .Mounts}}{{.Source}}\n{{end}}", id});
    for (const auto& source : mounts.out_lines()) {
      if (source == m_dir || source.rfind(m_dir + "/", 0) == 0) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

containers_of::~containers_of() {
  for (const auto& id : list()) run_command({"docker", "rm", "-f", id});
}

void install_function(const std::string& dir, const std::string& bootstrap) {
  namespace fs = std::filesystem;
  fs::copy_file(bootstrap, dir + "/bootstrap", fs::copy_options::overwrite_existing);
  ::chmod(dir.c_str(), 0777); // mkdtemp made it 0700; the container may run as another user
}

std::map<std::string, std::string> aws_env(const std::string& home) {
  return {{"AWS_ACCESS_KEY_ID", "x"},     {"AWS_SECRET_ACCESS_KEY", "x"}, {"AWS_REGION", "us-east-1"},
          {"AWS_PAGER", ""},              {"HOME", home},                 {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_CONFIG_FILE", "/dev/null"}, {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}};
}

std::vector<std::string> container_processes(const std::string& name) {
  // docker top needs the PID column; the lines without it.
  const auto r = run_command({"docker", "top", name, "-o", "pid,stat,args"});
  std::vector<std::string> lines;
  for (const auto& line : r.out_lines()) {
    const auto stat = line.find_first_not_of(' ', line.find(' '));
    if (line.rfind("PID", 0) != 0 && stat != std::string::npos) lines.push_back(line.substr(stat));
  }
  return lines;
}

} // namespace lemu::test
