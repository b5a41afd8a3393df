#pragma once
// `lemu serve` running for a test: started on free ports (--port 0 --api-port 0 unless the arguments
// name ports), ready once it prints "lemu: ready"; the ports are read from its announcement lines.

#include "support/background.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lemu::test {

class serve_process {
public:
  // Runs `lemu serve ARGS...`; fails the test (and throws) when it is not ready within 30 s.
  explicit serve_process(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                         const std::string& cwd = {});

  std::uint16_t port() const { return m_port; }         // Invoke API
  std::uint16_t api_port() const { return m_api_port; } // front door (0 with --api none)
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  std::string api_url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(m_api_port) + path;
  }
  // The SQS endpoint (--sqs-port), 0 without one.
  std::uint16_t sqs_port() const { return m_sqs_port; }
  std::string sqs_url() const { return "http://127.0.0.1:" + std::to_string(m_sqs_port); }
  background_process& process() { return *m_process; }

  // Ctrl-C, then waits for the exit; returns the exit code.
  int stop();

private:
  std::unique_ptr<background_process> m_process;
  std::uint16_t m_port = 0, m_api_port = 0, m_sqs_port = 0;
};

} // namespace lemu::test
