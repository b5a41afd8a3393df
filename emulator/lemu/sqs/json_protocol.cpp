// The JSON 1.0 protocol (wire.hpp): X-Amz-Target and a JSON object in, JSON out.
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/wire.hpp>

#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>

namespace lemu::sqs {

std::string json_error_type(const std::string& query_code) {
  constexpr std::string_view prefix = "AWS.SimpleQueueService.";
  std::string code = query_code.rfind(prefix, 0) == 0 ? query_code.substr(prefix.size()) : query_code;
  if (code == "NonExistentQueue") return "QueueDoesNotExist";
  if (code == "QueueAlreadyExists") return "QueueNameExists";
  return code;
}

namespace wire {

result<parsed_request> parse_json_request(const gateway::http_request& r) {
  parsed_request out;
  out.proto = protocol::json10;
  const auto target = r.header("X-Amz-Target");
  constexpr std::string_view prefix = "AmazonSQS.";
  if (!target) return error{"InvalidAction", "The request has no X-Amz-Target header: it names the action (AmazonSQS.<Action>)."};
  const std::string_view t = util::trim_ows(*target);
  if (t.substr(0, prefix.size()) != prefix)
    return error{"InvalidAction", "The X-Amz-Target " + std::string(t.substr(0, 200)) + " is not valid for this endpoint."};
  out.action = std::string(t.substr(prefix.size()));
  std::string_view body = util::trim(r.body);
  if (body.empty()) return out; // an empty body is an empty input
  if (auto problem = util::check_json(body)) {
    return error{"SerializationException", "The request body is not valid JSON: " + problem->message};
  }
  try {
    out.input = json::parse(body);
  } catch (const std::exception& e) {
    return error{"SerializationException", std::string("The request body is not valid JSON: ") + e.what()};
  }
  if (!out.input.is_object()) return error{"SerializationException", "The request body must be a JSON object."};
  return out;
}

gateway::http_response json_answer(const json& output, const std::string& request_id) {
  gateway::http_response r;
  r.status = 200;
  r.headers = {{"Content-Type", json_content_type}, {"x-amzn-RequestId", request_id}};
  r.body = output.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

gateway::http_response json_error(const error& e, const std::string& request_id) {
  gateway::http_response r;
  r.status = e.http_status;
  r.headers = {{"Content-Type", json_content_type},
               {"x-amzn-RequestId", request_id},
               {"x-amzn-query-error", e.code + (e.sender_fault ? ";Sender" : ";Receiver")}};
  json body = json::object();
  body["__type"] = "com.amazonaws.sqs#" + json_error_type(e.code);
  body["message"] = e.message;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

} // namespace wire
} // namespace lemu::sqs
