// The echo function: returns each event unchanged as application/json. lemu's benchmarks time it, so
// it does nothing per invocation beyond the one unavoidable copy of the payload into the response.

#include <lemu_runtime/runtime.hpp>

int main() {
  lemu_runtime::run_handler([](const lemu_runtime::invocation_request& request) {
    return lemu_runtime::invocation_response::success(request.payload, "application/json");
  });
  return 0;
}
