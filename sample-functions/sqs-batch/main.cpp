// sqs-batch: an SQS consumer with partial batch responses (PROTOCOL.md §5.2, "ReportBatchItemFailures").
// Every message whose body contains "fail" is reported in batchItemFailures; the others succeed. An event
// that is not an SQS event is a function error.

#include <lemu_runtime/runtime.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

int main() {
  lemu_runtime::run_handler([](const lemu_runtime::invocation_request& request) {
    const auto event = nlohmann::json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object() || !event.contains("Records") || !event["Records"].is_array()) {
      return lemu_runtime::invocation_response::failure("not an SQS event", "InvalidEvent");
    }
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& record : event["Records"]) {
      const std::string body = record.value("body", "");
      const std::string id = record.value("messageId", "");
      if (body.find("fail") != std::string::npos) {
        failures.push_back({{"itemIdentifier", id}});
        std::fprintf(stderr, "sqs-batch: message %s failed\n", id.c_str());
      }
    }
    return lemu_runtime::invocation_response::success(nlohmann::json{{"batchItemFailures", failures}}.dump(),
                                                      "application/json");
  });
  return 0;
}
