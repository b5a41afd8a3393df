#include "support/serve_process.hpp"

#include "lemu_test_paths.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace lemu::test {

namespace {
// The port in "...<marker>http://<host>:<port>..." of `text`; 0 when absent.
std::uint16_t port_after(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return 0;
  const auto colon = text.find(':', text.find("//", at) + 2);
  return static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1, 6)));
}
} // namespace

serve_process::serve_process(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                             const std::string& cwd) {
  std::vector<std::string> argv{lemu_bin, "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (std::find(args.begin(), args.end(), "--port") == args.end()) {
    argv.insert(argv.end(), {"--port", "0"});
  }
  if (std::find(args.begin(), args.end(), "--api-port") == args.end()) {
    argv.insert(argv.end(), {"--api-port", "0"});
  }
  m_process = std::make_unique<background_process>(argv, env, cwd);
  if (!m_process->wait_for_stderr("lemu: ready", std::chrono::seconds(30))) {
    ADD_FAILURE() << "lemu serve did not get ready; stderr:\n" << m_process->err();
    throw std::runtime_error("lemu serve did not start");
  }
  const std::string err = m_process->err();
  m_port = port_after(err, "Invoke API on ");
  m_api_port = port_after(err, "front door (");
  m_sqs_port = port_after(err, "SQS on ");
}

int serve_process::stop() {
  m_process->signal(SIGINT);
  return m_process->wait();
}

} // namespace lemu::test
