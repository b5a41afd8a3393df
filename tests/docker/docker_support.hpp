#pragma once
// Helpers of the docker tests (ctest -L docker). The engine, the base images and the `lemu` image are
// CTest fixtures (tests/CMakeLists.txt): scripts/docker-engine.sh starts dockerd when none answers and
// makes the Debian base images, DockerSetup.BuildTheImage builds docker/Dockerfile with the README's
// command, DockerSetup.RemoveTheImage removes it (or puts back the `lemu` image that was there before).
//
// Commands that docker/README.md shows are run exactly as written there, through bash, in the folder that
// holds the function (readme_command() fails the test when the README does not have the line).

#include "support/background.hpp"
#include "support/command.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lemu::test {

// `command` as a whole line of a shell block of docker/README.md (continuation lines joined); fails the
// test and returns false when it is not there.
bool readme_has(const std::string& command);

// `command` run through bash in `cwd` (as a user types it there), with a deadline.
command_result run_shell(const std::string& command, const std::string& cwd,
                         std::chrono::milliseconds deadline = std::chrono::seconds(120),
                         const std::map<std::string, std::string>& env = {});
// The same for a command that docker/README.md shows (readme_has).
command_result run_readme_command(const std::string& command, const std::string& cwd,
                                  std::chrono::milliseconds deadline = std::chrono::seconds(120),
                                  const std::map<std::string, std::string>& env = {});

// A shell command left running in `cwd` (docker run of lemu serve); the docker CLI is the process itself
// (exec), so a signal sent to it is what Ctrl-C in its terminal sends.
std::unique_ptr<background_process> start_shell(const std::string& command, const std::string& cwd,
                                                const std::map<std::string, std::string>& env = {});

// A name no other test run uses: lemu-test-<what>-<pid>-<n>.
std::string unique_name(const std::string& what);

// Removes, when it goes out of scope, every container that mounts a path under `dir` (the README's
// commands name no container, so a test that fails half-way leaves nothing running behind it).
class containers_of {
public:
  explicit containers_of(std::string dir) : m_dir(std::move(dir)) {}
  ~containers_of();
  containers_of(const containers_of&) = delete;
  containers_of& operator=(const containers_of&) = delete;
  // The ids of the containers (running or not) that mount a path under the folder.
  std::vector<std::string> list() const;

private:
  std::string m_dir;
};

// A folder for a function on a volume: the test's scratch dir made readable (and writable) by the
// container's user; `bootstrap` copied in as DIR/bootstrap.
void install_function(const std::string& dir, const std::string& bootstrap);

// AWS CLI environment for a local endpoint (any credentials and region do).
std::map<std::string, std::string> aws_env(const std::string& home);

// The states (ps STAT column) and commands of the processes of a running container, one "STAT COMMAND"
// line each (docker top: read on the host, so the image needs no ps).
std::vector<std::string> container_processes(const std::string& name);

} // namespace lemu::test
