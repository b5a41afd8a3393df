#include "event_command.hpp"
#include "usage.hpp"

#include <lemu/app/run_command.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <unistd.h>

#ifndef LEMU_SOURCE_EVENTS_DIR
#define LEMU_SOURCE_EVENTS_DIR ""
#endif

namespace lemu::cli {

namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::usage_error(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// NAME=TYPE:VALUE, e.g. Author=String:John or Blob=Binary:aGVsbG8=
events::message_attribute parse_attribute(const std::string& text) {
  const auto eq = text.find('=');
  const auto colon = text.find(':', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || colon == std::string::npos) {
    throw core::usage_error("--attribute: expected NAME=TYPE:VALUE (TYPE String, Number, Binary or String.custom), got '" +
                           text + "'");
  }
  return events::message_attribute{text.substr(0, eq), text.substr(eq + 1, colon - eq - 1), text.substr(colon + 1)};
}

// "Name: value" (as curl takes it)
std::pair<std::string, std::string> parse_header(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) throw core::usage_error("--header: expected 'Name: value', got '" + text + "'");
  return {std::string(util::trim(text.substr(0, colon))), std::string(util::trim(text.substr(colon + 1)))};
}

// The options each kind takes, besides those of every kind (--region, --account, --compact).
const std::map<std::string, std::vector<std::string>>& kind_options() {
  static const std::vector<std::string> http{"--method", "--path", "--query", "--header", "--body", "--body-file", "--base64"};
  static const std::vector<std::string> apigw = [] {
    auto o = http;
    o.push_back("--stage");
    return o;
  }();
  static const std::map<std::string, std::vector<std::string>> table{
      {"sqs", {"--body", "--body-file", "--count", "--fifo", "--group-id", "--queue-arn", "--attribute"}},
      {"apigw-rest", apigw},
      {"apigw-http", apigw},
      {"function-url", http},
      {"alb", http},
      {"alb-multivalue", http},
      {"sns", {"--subject", "--body", "--body-file", "--attribute"}},
      {"s3", {"--bucket", "--key", "--size"}},
      {"eventbridge", {"--source", "--detail-type", "--detail"}},
      {"dynamodb", {"--body", "--body-file", "--count"}},
      {"kinesis", {"--body", "--body-file", "--count"}},
  };
  return table;
}

// An option given that the kind does not take is bad usage (it would be ignored).
void refuse_foreign_options(const event_command& e) {
  const auto& table = kind_options();
  const auto it = table.find(e.kind);
  if (it == table.end()) return; // an unknown kind: make_event names the kinds
  const auto& allowed = it->second;
  for (const CLI::Option* opt : e.command->get_options()) {
    const std::string name = opt->get_name();
    if (opt->count() == 0 || name.rfind("--", 0) != 0 || name == "--help" || name == "--region" || name == "--account" ||
        name == "--compact" || std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      continue;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw core::usage_error(name + " does not apply to " + e.kind + " events; " + e.kind + " takes " + list +
                            " (and --region, --account, --compact)");
  }
}

} // namespace

std::unique_ptr<event_command> add_event_command(CLI::App& cli) {
  auto e = std::make_unique<event_command>();
  events::generator_options& o = e->options;
  auto* cmd = cli.add_subcommand("event", "Print a fresh event of KIND (real-shaped: ids, checksums, timestamps); `lemu event list` lists the kinds");
  e->command = cmd;
  cmd->add_option("kind", e->kind, "Event kind (sqs, apigw-rest, apigw-http, function-url, ...) or `list`")->required();
  cmd->add_option("--region", o.region, "Region of ARNs and records");
  cmd->add_option("--account", o.account_id, "Account id of ARNs");
  cmd->add_option("--body", o.bodies, "sqs: a message body (repeatable: one message each); http kinds and sns: the body");
  cmd->add_option("--body-file", e->body_file, "Read the body from FILE");
  cmd->add_option("--count", o.count, "sqs, dynamodb, kinesis: number of records (of the one --body, if given)")
      ->check(between(1, 10000));
  cmd->add_flag("--fifo", o.fifo, "sqs: a FIFO queue (MessageGroupId, SequenceNumber, MessageDeduplicationId)");
  cmd->add_option("--group-id", o.group_id, "sqs: MessageGroupId for --fifo");
  cmd->add_option("--queue-arn", o.queue_arn, "sqs: eventSourceARN");
  cmd->add_option("--attribute", e->attributes, "sqs: a message attribute NAME=TYPE:VALUE (repeatable)");
  cmd->add_option("--method", o.method, "http kinds: HTTP method");
  cmd->add_option("--path", o.path, "http kinds: request path");
  cmd->add_option("--query", o.query, "http kinds: raw query string, e.g. 'a=1&a=2&b=3'");
  cmd->add_option("--header", e->headers, "http kinds: a request header 'Name: value' (repeatable)");
  cmd->add_flag("--base64", o.base64, "http kinds: send the body base64-encoded (isBase64Encoded: true)");
  cmd->add_option("--stage", o.stage, "apigw-rest, apigw-http: stage name (rest: prod, http: $default)");
  cmd->add_option("--subject", o.subject, "sns: Subject");
  cmd->add_option("--bucket", o.bucket, "s3: bucket name");
  cmd->add_option("--key", o.key, "s3: object key");
  cmd->add_option("--size", o.size, "s3: object size in bytes");
  cmd->add_option("--source", o.source, "eventbridge: source");
  cmd->add_option("--detail-type", o.detail_type, "eventbridge: detail-type");
  cmd->add_option("--detail", o.detail, "eventbridge: detail (JSON)");
  cmd->add_flag("--compact", e->compact, "Print the event on one line (for JSON Lines)");
  return e;
}

int run_event_command(event_command& e) {
  if (e.kind == "list") {
    for (const auto& k : events::event_kinds()) std::printf("%-14s %s\n", k.name.c_str(), k.description.c_str());
    return core::exit_ok;
  }
  refuse_foreign_options(e);
  events::generator_options& o = e.options;
  if (!e.body_file.empty()) o.bodies.push_back(read_whole_file(e.body_file));
  if (e.command->count("--count") > 0 && !o.bodies.empty()) {
    // --count N with one body: N messages of that body; with one body per message, --count is redundant.
    if (o.bodies.size() != 1) {
      throw core::usage_error("--count makes N records of one body: give one --body with --count, or one --body per "
                              "record without --count");
    }
    o.body = o.bodies.front();
    o.bodies.clear();
  }
  if (!o.bodies.empty() && e.kind != "sqs") o.body = o.bodies.front();
  for (const auto& a : e.attributes) o.attributes.push_back(parse_attribute(a));
  for (const auto& h : e.headers) o.headers.push_back(parse_header(h));
  nlohmann::ordered_json event;
  try {
    event = events::make_event(e.kind, o);
  } catch (const std::invalid_argument& ex) {
    throw core::usage_error(ex.what());
  }
  const std::string text = e.compact ? event.dump() : event.dump(2);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return core::exit_ok;
}

} // namespace lemu::cli
