#pragma once
// Debian's AWS CLI v2 (/usr/bin/aws, never the one first on PATH) as the conformance tests run it: dummy
// credentials and no config, so nothing leaves the machine but what goes to the --endpoint-url given.

#include "support/command.hpp"
#include "support/serve_process.hpp"

#include <string>
#include <vector>

namespace lemu::test {

inline constexpr const char* aws = "/usr/bin/aws";

// aws ARGS...
inline command_result aws_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{aws};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, with_env({{"AWS_ACCESS_KEY_ID", "lemu"},
                                     {"AWS_SECRET_ACCESS_KEY", "lemu"},
                                     {"AWS_REGION", "us-east-1"},
                                     {"AWS_PAGER", ""},
                                     {"AWS_CONFIG_FILE", "/dev/null"},
                                     {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}}));
}

// aws sqs ARGS... --endpoint-url <lemu serve's SQS endpoint> --output json
inline command_result aws_sqs(const serve_process& s, std::vector<std::string> args) {
  args.insert(args.begin(), "sqs");
  args.insert(args.end(), {"--endpoint-url", s.sqs_url(), "--output", "json"});
  return aws_cli(args);
}

} // namespace lemu::test
