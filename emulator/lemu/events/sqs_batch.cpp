#include <lemu/events/sqs_batch.hpp>

#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lemu::events {

std::optional<std::vector<std::string>> sqs_message_ids(std::string_view event) {
  if (event.find("aws:sqs") == std::string_view::npos) return std::nullopt;
  // simdjson: this runs for every SQS event of a replay, so no DOM of nlohmann's here.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(event.data(), event.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array records;
  if (doc["Records"].get_array().get(records) != simdjson::SUCCESS || records.size() == 0) return std::nullopt;
  std::vector<std::string> ids;
  for (simdjson::dom::element r : records) {
    std::string_view source, id;
    if (r["eventSource"].get_string().get(source) != simdjson::SUCCESS || source != "aws:sqs") return std::nullopt;
    if (r["messageId"].get_string().get(id) != simdjson::SUCCESS) id = {};
    ids.emplace_back(id);
  }
  return ids;
}

batch_result evaluate_sqs_batch(const std::vector<std::string>& message_ids, bool invocation_succeeded,
                                std::string_view response) {
  batch_result r;
  r.messages = message_ids.size();
  const auto fail_all = [&](std::string reason) {
    r.failed = message_ids;
    r.whole_batch_reason = std::move(reason);
    return r;
  };
  if (!invocation_succeeded) return fail_all("the invocation failed");
  if (util::trim(response).empty()) return r;
  if (!util::is_valid_json(response)) return fail_all("the response is not JSON");
  if (response.find("batchItemFailures") == std::string_view::npos) return r; // no DOM for the common case
  const auto doc = nlohmann::json::parse(response, nullptr, false);
  if (!doc.is_object()) return r; // a response that is not a batch response reports no failures
  const auto list = doc.find("batchItemFailures");
  if (list == doc.end() || list->is_null()) return r;
  if (!list->is_array()) return fail_all("batchItemFailures is not a list");
  std::vector<bool> failed(message_ids.size(), false);
  for (const auto& item : *list) {
    const auto id = item.is_object() ? item.find("itemIdentifier") : item.end();
    if (!item.is_object() || id == item.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return fail_all("an item has no itemIdentifier (or an empty or null one)");
    }
    const auto at = std::find(message_ids.begin(), message_ids.end(), id->get_ref<const std::string&>());
    if (at == message_ids.end()) {
      return fail_all("itemIdentifier " + id->get<std::string>() + " is not a message of the batch");
    }
    failed[static_cast<std::size_t>(at - message_ids.begin())] = true;
  }
  for (std::size_t i = 0; i < message_ids.size(); ++i) {
    if (failed[i]) r.failed.push_back(message_ids[i]);
  }
  return r;
}

} // namespace lemu::events
