// sqs-batch: an SQS consumer with partial batch responses (PROTOCOL.md §5.2, "ReportBatchItemFailures").
// Every message whose body contains "fail" is reported in batchItemFailures; the others succeed. A FIFO
// message (one with a MessageGroupId) after a failed one of its group is reported too, unprocessed, as
// Lambda asks of FIFO consumers (their order holds). An event that is not an SQS event is a function error.
// Each message is logged on stderr with its receive count.

#include <lemu_runtime/runtime.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>
#include <string>

int main() {
  lemu_runtime::run_handler([](const lemu_runtime::invocation_request& request) {
    const auto event = nlohmann::json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object() || !event.contains("Records") || !event["Records"].is_array()) {
      return lemu_runtime::invocation_response::failure("not an SQS event", "InvalidEvent");
    }
    nlohmann::json failures = nlohmann::json::array();
    std::set<std::string> failed_groups;
    for (const auto& record : event["Records"]) {
      const std::string body = record.value("body", "");
      const std::string id = record.value("messageId", "");
      const auto& attributes = record.contains("attributes") && record["attributes"].is_object() ? record["attributes"]
                                                                                               : nlohmann::json::object();
      const std::string group = attributes.value("MessageGroupId", "");
      const std::string count = attributes.value("ApproximateReceiveCount", "?");
      if (!group.empty() && failed_groups.count(group)) {
        failures.push_back({{"itemIdentifier", id}});
        std::fprintf(stderr, "sqs-batch: message %s unprocessed (group %s, receive count %s)\n", id.c_str(), group.c_str(),
                     count.c_str());
      } else if (body.find("fail") != std::string::npos) {
        failures.push_back({{"itemIdentifier", id}});
        if (!group.empty()) failed_groups.insert(group);
        std::fprintf(stderr, "sqs-batch: message %s failed (receive count %s)\n", id.c_str(), count.c_str());
      } else {
        std::fprintf(stderr, "sqs-batch: message %s ok (receive count %s)\n", id.c_str(), count.c_str());
      }
    }
    return lemu_runtime::invocation_response::success(nlohmann::json{{"batchItemFailures", failures}}.dump(),
                                                      "application/json");
  });
  return 0;
}
