#include <lemu/events/generators.hpp>

#include <lemu/events/generator_common.hpp>

namespace lemu::events {

const std::vector<kind_info>& event_kinds() {
  static const std::vector<kind_info> kinds = {
      {"sqs", "SQS batch from a standard or FIFO queue: one record per body, message attributes, MD5s"},
      {"apigw-rest", "API Gateway REST API proxy request (payload 1.0, multi-value headers and query)"},
      {"apigw-http", "API Gateway HTTP API request (payload 2.0, no authorizer)"},
      {"function-url", "Lambda function URL request (payload 2.0, auth type NONE)"},
      {"alb", "Application Load Balancer target request (multi-value headers off)"},
      {"alb-multivalue", "Application Load Balancer target request (multi-value headers on)"},
      {"sns", "SNS notification (subject, message, message attributes)"},
      {"s3", "S3 ObjectCreated:Put notification"},
      {"eventbridge", "EventBridge scheduled event (or any source, detail-type and detail)"},
      {"dynamodb", "DynamoDB stream INSERT records (one per body, a JSON object item)"},
      {"kinesis", "Kinesis data stream records (one per body, base64 data)"},
  };
  return kinds;
}

nlohmann::ordered_json make_event(std::string_view kind, const generator_options& o) {
  detail::check_region_and_account(o);
  detail::context c(o);
  if (kind == "sqs") return detail::make_sqs(c);
  if (kind == "apigw-rest") return detail::make_apigw_rest(c);
  if (kind == "apigw-http") return detail::make_apigw_http(c);
  if (kind == "function-url") return detail::make_function_url(c);
  if (kind == "alb") return detail::make_alb(c, false);
  if (kind == "alb-multivalue") return detail::make_alb(c, true);
  if (kind == "sns") return detail::make_sns(c);
  if (kind == "s3") return detail::make_s3(c);
  if (kind == "eventbridge") return detail::make_eventbridge(c);
  if (kind == "dynamodb") return detail::make_dynamodb(c);
  if (kind == "kinesis") return detail::make_kinesis(c);
  std::string known;
  for (const kind_info& k : event_kinds()) known += (known.empty() ? "" : ", ") + k.name;
  detail::fail("unknown event kind '" + std::string(kind) + "' (known: " + known + ")");
}

} // namespace lemu::events
