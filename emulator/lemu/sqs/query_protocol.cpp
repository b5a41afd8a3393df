// The Query protocol (wire.hpp): form parameters in, XML out.
#include <lemu/sqs/wire.hpp>

#include <lemu/util/text.hpp>
#include <lemu/util/utf8.hpp>

#include <array>
#include <charconv>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::sqs::wire {

namespace {

constexpr std::array<std::string_view, 19> actions = {
    "CreateQueue",   "GetQueueUrl",   "ListQueues",       "DeleteQueue",        "GetQueueAttributes",
    "SetQueueAttributes", "SendMessage", "SendMessageBatch", "ReceiveMessage",   "DeleteMessage",
    "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "PurgeQueue",
    "ListQueueTags", "TagQueue",      "UntagQueue",       "ListDeadLetterSourceQueues", "CancelMessageMoveTask"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

result<std::string> form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
      if (lo < 0) return error{"MalformedQueryString", "The query string is malformed: a '%' is not followed by two hex digits."};
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A parameter name split at its dots: "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name".
using path = std::vector<std::string_view>;
struct param {
  path segments;
  const std::string* value;
  const std::string* name;
};

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// A list index: 1 to 1,000,000 (anything else is not a list member, and is ignored as SQS ignores unknown
// parameters).
long index_of(std::string_view s) {
  if (s.empty() || s.size() > 7) return -1;
  long n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || n < 1 || n > 1000000) return -1;
  return n;
}

enum class kind { string_list, string_map, struct_map, struct_list };
struct rule {
  std::string_view query_name;
  std::string_view json_name;
  kind k;
  std::string_view key_name = "Name";
  std::string_view value_name = "Value";
};
constexpr std::array<rule, 11> rules = {{
    {"Attribute", "Attributes", kind::string_map},
    {"Tag", "Tags", kind::string_map, "Key", "Value"},
    {"AttributeName", "AttributeNames", kind::string_list},
    {"MessageSystemAttributeName", "MessageSystemAttributeNames", kind::string_list},
    {"MessageAttributeName", "MessageAttributeNames", kind::string_list},
    {"TagKey", "TagKeys", kind::string_list},
    {"MessageAttribute", "MessageAttributes", kind::struct_map},
    {"MessageSystemAttribute", "MessageSystemAttributes", kind::struct_map},
    {"SendMessageBatchRequestEntry", "Entries", kind::struct_list},
    {"DeleteMessageBatchRequestEntry", "Entries", kind::struct_list},
    {"ChangeMessageVisibilityBatchRequestEntry", "Entries", kind::struct_list},
}};

const rule* rule_of(std::string_view name) {
  for (const rule& r : rules)
    if (r.query_name == name) return &r;
  return nullptr;
}

result<json> convert(const std::vector<param>& params, std::size_t depth, std::string_view prefix);

// The members of the list or map `r` from the parameters that start with its name (segments[depth]).
result<json> convert_member(const rule& r, const std::vector<param>& params, std::size_t depth, std::string_view prefix) {
  // by index, the parameters below it
  std::map<long, std::vector<param>> by_index;
  bool empty_list = false;
  for (const param& p : params) {
    if (p.segments.size() == depth + 1) {
      empty_list = p.value->empty(); // "SendMessageBatchRequestEntry=" is how botocore sends an empty list
      continue;
    }
    const long i = index_of(p.segments[depth + 1]);
    if (i < 0) continue;
    by_index[i].push_back(p);
  }
  (void)empty_list;
  std::string where = prefix.empty() ? std::string(r.query_name) : std::string(prefix) + "." + std::string(r.query_name);
  switch (r.k) {
  case kind::string_list: {
    json out = json::array();
    for (auto& [i, ps] : by_index)
      for (const param& p : ps)
        if (p.segments.size() == depth + 2) {
          out.push_back(*p.value);
          break;
        }
    return out;
  }
  case kind::struct_list: {
    json out = json::array();
    for (auto& [i, ps] : by_index) {
      auto entry = convert(ps, depth + 2, where + "." + std::to_string(i));
      if (!entry.ok()) return entry.err();
      out.push_back(std::move(entry.value()));
    }
    return out;
  }
  case kind::string_map:
  case kind::struct_map: {
    json out = json::object();
    for (auto& [i, ps] : by_index) {
      const std::string* key = nullptr;
      const std::string* value = nullptr;
      std::vector<param> value_params;
      for (const param& p : ps) {
        if (p.segments.size() == depth + 3 && p.segments[depth + 2] == r.key_name) key = p.value;
        if (p.segments.size() >= depth + 3 && p.segments[depth + 2] == r.value_name) {
          if (p.segments.size() == depth + 3) value = p.value;
          else value_params.push_back(p);
        }
      }
      const std::string entry = where + "." + std::to_string(i);
      if (!key)
        return error{"MissingParameter", "The request must contain the parameter " + entry + "." + std::string(r.key_name) + "."};
      if (r.k == kind::string_map) {
        if (!value)
          return error{"MissingParameter",
                       "The request must contain the parameter " + entry + "." + std::string(r.value_name) + "."};
        out[*key] = *value;
      } else {
        auto v = convert(value_params, depth + 3, entry + ".Value");
        if (!v.ok()) return v.err();
        out[*key] = std::move(v.value());
      }
    }
    return out;
  }
  }
  return json::object();
}

result<json> convert(const std::vector<param>& params, std::size_t depth, std::string_view prefix) {
  json out = json::object();
  // group by the segment at `depth`, keeping the first appearance's order
  std::vector<std::string_view> names;
  std::map<std::string_view, std::vector<param>> groups;
  for (const param& p : params) {
    if (p.segments.size() <= depth) continue;
    auto [it, fresh] = groups.try_emplace(p.segments[depth]);
    if (fresh) names.push_back(p.segments[depth]);
    it->second.push_back(p);
  }
  for (std::string_view name : names) {
    const std::vector<param>& ps = groups[name];
    if (const rule* r = rule_of(name)) {
      auto v = convert_member(*r, ps, depth, prefix);
      if (!v.ok()) return v.err();
      out[std::string(r->json_name)] = std::move(v.value());
      continue;
    }
    for (const param& p : ps)
      if (p.segments.size() == depth + 1) out[std::string(name)] = *p.value; // a scalar; the last one wins
  }
  return out;
}

bool is_message_body(std::string_view name) { return util::ends_with(name, "MessageBody"); }

const char* entry_element(std::string_view action) {
  if (action == "SendMessageBatch") return "SendMessageBatchResultEntry";
  if (action == "DeleteMessageBatch") return "DeleteMessageBatchResultEntry";
  if (action == "ChangeMessageVisibilityBatch") return "ChangeMessageVisibilityBatchResultEntry";
  return "member";
}

void element(std::string& out, std::string_view name, const json& v, std::string_view action);

void members(std::string& out, const json& object, std::string_view action) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if ((key == "QueueUrls" || key == "queueUrls") && v.is_array()) {
      for (const json& u : v) element(out, "QueueUrl", u, action);
    } else if ((key == "Attributes" || key == "Tags") && v.is_object()) {
      const bool tags = key == "Tags";
      for (auto a = v.begin(); a != v.end(); ++a) {
        out += tags ? "<Tag><Key>" : "<Attribute><Name>";
        append_xml_escaped(out, a.key());
        out += tags ? "</Key>" : "</Name>";
        element(out, "Value", a.value(), action);
        out += tags ? "</Tag>" : "</Attribute>";
      }
    } else if (key == "MessageAttributes" && v.is_object()) {
      for (auto a = v.begin(); a != v.end(); ++a) {
        out += "<MessageAttribute><Name>";
        append_xml_escaped(out, a.key());
        out += "</Name>";
        element(out, "Value", a.value(), action);
        out += "</MessageAttribute>";
      }
    } else if (key == "Messages" && v.is_array()) {
      for (const json& m : v) element(out, "Message", m, action);
    } else if (key == "Successful" && v.is_array()) {
      for (const json& m : v) element(out, entry_element(action), m, action);
    } else if (key == "Failed" && v.is_array()) {
      for (const json& m : v) element(out, "BatchResultErrorEntry", m, action);
    } else if (v.is_array()) {
      for (const json& m : v) element(out, key, m, action);
    } else {
      element(out, key, v, action);
    }
  }
}

void element(std::string& out, std::string_view name, const json& v, std::string_view action) {
  out.push_back('<');
  out.append(name);
  out.push_back('>');
  if (v.is_object()) members(out, v, action);
  else if (v.is_string()) append_xml_escaped(out, v.get_ref<const std::string&>());
  else if (v.is_boolean()) out += v.get<bool>() ? "true" : "false";
  else if (!v.is_null()) out += v.dump();
  out += "</";
  out.append(name);
  out.push_back('>');
}

} // namespace

bool known_action(std::string_view action) {
  for (std::string_view a : actions)
    if (a == action) return true;
  return false;
}

protocol protocol_of(const gateway::http_request& r) {
  if (r.header("X-Amz-Target")) return protocol::json10;
  if (auto ct = r.header("Content-Type"); ct && util::istarts_with(util::trim_ows(*ct), "application/x-amz-json"))
    return protocol::json10;
  return protocol::query;
}

void append_xml_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    case '\r': out += "&#xD;"; break;
    default: out.push_back(c);
    }
  }
}

result<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t amp = text.find('&', start);
    if (amp == std::string_view::npos) amp = text.size();
    const std::string_view pair = text.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name.ok()) return name.err();
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value.ok()) return value.err();
    if (name.value().empty()) continue;
    out.emplace_back(std::move(name.value()), std::move(value.value()));
  }
  return out;
}

result<parsed_request> query_input(const std::vector<std::pair<std::string, std::string>>& form) {
  parsed_request out;
  out.proto = protocol::query;
  std::vector<param> params;
  params.reserve(form.size());
  for (const auto& [name, value] : form) {
    if (!util::is_valid_utf8(name)) return error{"MalformedQueryString", "A parameter name is not valid UTF-8."};
    if (!util::is_valid_utf8(value)) {
      if (is_message_body(name))
        return error{"InvalidMessageContents", "Invalid binary character in the message body: it is not valid UTF-8."};
      return error{"InvalidParameterValue", "Value for parameter " + name + " is invalid. Reason: it is not valid UTF-8."};
    }
    if (name == "Action") {
      out.action = value;
      continue;
    }
    if (name == "Version") continue;
    params.push_back(param{split_dots(name), &value, &name});
  }
  if (out.action.empty()) return error{"MissingAction", "The request must contain the parameter Action."};
  auto input = convert(params, 0, "");
  if (!input.ok()) return input.err();
  out.input = std::move(input.value());
  // CreateQueue's tags are "tags" in the JSON protocol (TagQueue's are "Tags").
  if (out.action == "CreateQueue" && out.input.contains("Tags")) {
    out.input["tags"] = std::move(out.input["Tags"]);
    out.input.erase("Tags");
  }
  return out;
}

result<parsed_request> parse_query_request(const gateway::http_request& r) {
  std::vector<std::pair<std::string, std::string>> all;
  const std::size_t q = r.target.find('?');
  if (q != std::string::npos) {
    auto from_target = parse_form(std::string_view(r.target).substr(q + 1));
    if (!from_target.ok()) return from_target.err();
    all = std::move(from_target.value());
  }
  if (r.method == "POST" && !r.body.empty()) {
    auto from_body = parse_form(r.body);
    if (!from_body.ok()) return from_body.err();
    for (auto& p : from_body.value()) all.push_back(std::move(p));
  }
  return query_input(all);
}

std::string query_xml(const std::string& action, const json& output, const std::string& request_id) {
  std::string out = "<?xml version=\"1.0\"?><";
  out += action;
  out += "Response xmlns=\"";
  out += xml_namespace;
  out += "\">";
  if (output.is_object() && !output.empty()) {
    out += "<" + action + "Result>";
    members(out, output, action);
    out += "</" + action + "Result>";
  } else if (action == "ReceiveMessage" || action == "ListQueues" || action == "GetQueueAttributes" ||
             action == "ListQueueTags" || action == "ListDeadLetterSourceQueues") {
    out += "<" + action + "Result/>";
  }
  out += "<ResponseMetadata><RequestId>";
  append_xml_escaped(out, request_id);
  out += "</RequestId></ResponseMetadata></" + action + "Response>";
  return out;
}

gateway::http_response query_answer(const std::string& action, const json& output, const std::string& request_id) {
  gateway::http_response r;
  r.status = 200;
  r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  r.body = query_xml(action, output, request_id);
  return r;
}

gateway::http_response query_error(const error& e, const std::string& request_id) {
  gateway::http_response r;
  r.status = e.http_status;
  r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  std::string& out = r.body;
  out = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"";
  out += xml_namespace;
  out += "\"><Error><Type>";
  out += e.sender_fault ? "Sender" : "Receiver";
  out += "</Type><Code>";
  append_xml_escaped(out, e.code);
  out += "</Code><Message>";
  append_xml_escaped(out, e.message);
  out += "</Message><Detail/></Error><RequestId>";
  append_xml_escaped(out, request_id);
  out += "</RequestId></ErrorResponse>";
  return r;
}

} // namespace lemu::sqs::wire
