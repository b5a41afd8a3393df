#pragma once
// lemu as a drop-in for the Lambda Runtime Interface Emulator (aws-lambda-rie), the program that Lambda
// container images run when started outside Lambda. Run as `aws-lambda-rie` (argv[0], e.g. a symlink or a
// copy of lemu by that name) or as `lemu rie`:
//
//   aws-lambda-rie [--runtime-interface-emulator-address HOST:PORT] [--runtime-api-address HOST:PORT]
//                  [--log-level LEVEL] [--enable-init-caching] [BOOTSTRAP [ARGS...]]
//
// It serves RIE's one route, POST /2015-03-31/functions/function/invocations (any other FunctionName of
// lemu's Invoke API works too), with lemu serve's behaviour: invocations that overlap wait in a queue
// instead of crashing the emulator, Lambda's error bodies, REPORT lines with the real init duration.
// The settings come from RIE's environment variables (AWS_LAMBDA_FUNCTION_TIMEOUT, default 300 s;
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, 3008; AWS_LAMBDA_FUNCTION_NAME, test_function;
// AWS_LAMBDA_FUNCTION_VERSION, $LATEST; _HANDLER), the container's other variables are passed to the
// function, and without a BOOTSTRAP it runs /var/runtime/bootstrap, else /opt/bootstrap. Flags are read
// up to the first argument that is not one (or `--`): the rest is BOOTSTRAP and its ARGS, verbatim.

#include <string>
#include <vector>

namespace lemu::cli {

// True when `argv0` names aws-lambda-rie (its last path component).
bool invoked_as_rie(const char* argv0);

// Runs the emulator with RIE's arguments (those after the program name, or after `lemu rie`); returns
// the exit code: 0 after SIGINT/SIGTERM, 2 for bad usage (one `lemu: error:` line).
int rie_main(const std::vector<std::string>& args);

} // namespace lemu::cli
