#pragma once
// The two wire protocols of the SQS endpoint (service.hpp), reduced to one shape: a request of either
// protocol becomes an action name and its input as the JSON protocol spells it ({"QueueUrl":…,
// "Entries":[{"Id":…,"MessageAttributes":{"n":{"DataType":…,"StringValue":…}}}],"AttributeNames":[…]}),
// and an answer is the JSON protocol's output object, which the Query protocol renders as XML with SQS's
// element names (flattened lists and maps: <QueueUrl>…</QueueUrl><QueueUrl>…, <Attribute><Name/><Value/>
// </Attribute>, <Message>, <MessageAttribute><Name/><Value><DataType/>…</Value></MessageAttribute>,
// <SendMessageBatchResultEntry>, <BatchResultErrorEntry>, …). Pure functions, no I/O; the actions
// themselves (the store, long polling) are service.cpp's.
//
// Query values are all strings (numbers as text: "MaxNumberOfMessages":"10"); `input_mode` tells the
// actions which protocol the input came from, so that "10" is an integer in Query and a type error in JSON.

#include <lemu/gateway/http_message.hpp>
#include <lemu/sqs/store.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::sqs::wire {

using json = nlohmann::ordered_json;

inline constexpr const char* xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/";
inline constexpr const char* json_content_type = "application/x-amz-json-1.0";

enum class protocol { query, json10 };

struct parsed_request {
  protocol proto = protocol::query;
  std::string action; // "SendMessage"
  json input = json::object();
};

// Which protocol a request speaks: JSON when it has X-Amz-Target (or a JSON content type), else Query.
protocol protocol_of(const gateway::http_request& r);

// application/x-www-form-urlencoded: '&'-separated name=value, '+' is a space, %XX a byte. An error
// (MalformedQueryString) for a '%' not followed by two hex digits.
result<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view text);

// The form parameters (the query string's and, for a POST, the body's) as an action and its JSON-shaped
// input. Errors: MalformedQueryString, MissingAction, InvalidParameterValue (a value that is not UTF-8;
// InvalidMessageContents for a MessageBody).
result<parsed_request> parse_query_request(const gateway::http_request& r);
// The same from a form's parameters (for tests and the fuzzer).
result<parsed_request> query_input(const std::vector<std::pair<std::string, std::string>>& params);

// X-Amz-Target: AmazonSQS.<Action> and a JSON object body (empty = {}). Errors: InvalidAction (no or a
// foreign target), SerializationException (not JSON, not UTF-8, not an object).
result<parsed_request> parse_json_request(const gateway::http_request& r);

// <ActionResponse xmlns=…><ActionResult>output as XML</ActionResult><ResponseMetadata><RequestId>…
// </RequestId></ResponseMetadata></ActionResponse>; no Result element for an action without output.
std::string query_xml(const std::string& action, const json& output, const std::string& request_id);
gateway::http_response query_answer(const std::string& action, const json& output, const std::string& request_id);
gateway::http_response query_error(const error& e, const std::string& request_id);

gateway::http_response json_answer(const json& output, const std::string& request_id);
gateway::http_response json_error(const error& e, const std::string& request_id);

// Text for an XML element or attribute: & < > " ' escaped, and CR as &#xD; (an XML parser would turn a
// raw CR into LF, and the client's MD5 of the body would then differ).
void append_xml_escaped(std::string& out, std::string_view text);

// Whether the action is one the endpoint serves (service.hpp's list).
bool known_action(std::string_view action);

} // namespace lemu::sqs::wire
