#include <lemu/sqs/store.hpp>

#include <lemu/core/ids.hpp>
#include <lemu/events/checksums.hpp>
#include <lemu/sqs/journal.hpp>
#include <lemu/util/utf8.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <deque>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace lemu::sqs {

namespace {

constexpr std::int64_t dedup_window_ms = 5 * 60 * 1000;
constexpr std::size_t max_receipts_kept = 64; // the newest receipt handles of a message that still work
constexpr std::uint64_t first_sequence = 18000000000000000000ULL;
constexpr std::string_view receipt_prefix = "AQEB";
constexpr std::size_t receipt_random_bytes = 48;
constexpr std::uint64_t message_overhead = 160; // journal bytes of a message beyond its body and attributes

error make_error(std::string code, std::string message, unsigned status = 400, bool sender = true) {
  return error{std::move(code), std::move(message), status, sender};
}

error no_queue() {
  return make_error("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
}

error invalid_parameter(std::string message) { return make_error("InvalidParameterValue", std::move(message)); }

error invalid_attribute_value(const std::string& name, const std::string& reason = "") {
  return make_error("InvalidAttributeValue",
                    "Invalid value for the parameter " + name + "." + (reason.empty() ? "" : " Reason: " + reason));
}

error unknown_attribute(const std::string& name) {
  return make_error("InvalidAttributeName", "Unknown Attribute " + name + ".");
}

error bad_receipt(const std::string& handle) {
  return make_error("ReceiptHandleIsInvalid", "The input receipt handle \"" + handle + "\" is not a valid receipt handle.");
}

std::optional<long long> parse_integer(const std::string& text) {
  long long v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (text.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool valid_queue_name(const std::string& name, bool fifo) {
  if (name.empty() || name.size() > 80) return false;
  std::string_view base = name;
  if (fifo) {
    if (!ends_with(base, ".fifo")) return false;
    base.remove_suffix(5);
    if (base.empty()) return false;
  }
  return std::all_of(base.begin(), base.end(), is_name_char);
}

// The first character outside XML's set, as "#xHH", or "" when all are allowed (invalid UTF-8 counts too).
std::string bad_xml_character(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = util::decode_utf8(s, i, cp);
    char buf[16];
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "#x%X", static_cast<unsigned>(c));
      return buf;
    }
    const bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
                    (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) {
      std::snprintf(buf, sizeof buf, "#x%X", static_cast<unsigned>(cp));
      return buf;
    }
    i += n;
  }
  return "";
}

error bad_contents(const std::string& ch, const std::string& where) {
  return make_error("InvalidMessageContents", "Invalid binary character '" + ch + "' was found in the " + where +
                                                  ", the set of allowed characters is #x9 | #xA | #xD | #x20-#xD7FF | "
                                                  "#xE000-#xFFFD | #x10000-#x10FFFF");
}

bool is_number_text(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// "String", "Number" or "Binary" for a valid data type (with an optional ".custom" suffix), else "".
std::string base_type(std::string_view type) {
  if (type.size() > 256) return "";
  for (const std::string_view b : {std::string_view("String"), std::string_view("Number"), std::string_view("Binary")}) {
    if (type.substr(0, b.size()) != b) continue;
    if (type.size() == b.size()) return std::string(b);
    if (type[b.size()] == '.' && type.size() > b.size() + 1) return std::string(b);
  }
  return "";
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    if (a != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

std::optional<error> check_attribute_name(const std::string& name, const char* kind) {
  const bool chars_ok = !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return is_name_char(c) || c == '.';
  });
  if (!chars_ok || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
    return invalid_parameter(std::string(kind) + " attribute name '" + name +
                             "' is invalid. It can hold up to 256 letters, digits, hyphens (-), underscores (_) and "
                             "periods (.), not at its start or end, and not two in a row.");
  if (istarts_with(name, "AWS.") || istarts_with(name, "Amazon."))
    return invalid_parameter(std::string(kind) + " attribute name '" + name + "' is reserved for use by SQS.");
  return std::nullopt;
}

// Checks message attributes; adds their bytes (names, types, values) to `bytes`.
std::optional<error> check_attributes(const attribute_map& attributes, std::size_t& bytes, bool system) {
  const char* kind = system ? "Message system" : "Message (user)";
  if (attributes.size() > 10)
    return invalid_parameter("Number of message attributes [" + std::to_string(attributes.size()) +
                             "] exceeds the allowed maximum [10].");
  for (const auto& [name, v] : attributes) {
    if (system) {
      if (name != "AWSTraceHeader")
        return invalid_parameter("Message system attribute name '" + name + "' is invalid.");
    } else if (auto e = check_attribute_name(name, kind)) {
      return e;
    }
    const std::string base = base_type(v.data_type);
    if (base.empty() || (system && v.data_type != "String"))
      return invalid_parameter("The type of " + std::string(system ? "message system" : "message (user)") +
                               " attribute '" + name +
                               "' is invalid. You must use only the following supported type prefixes: Binary, "
                               "Number, String.");
    const std::string& value = base == "Binary" ? v.binary_value : v.string_value;
    if (value.empty())
      return invalid_parameter(std::string(kind) + " attribute '" + name +
                               "' must contain a non-empty value of message attribute type '" + base + "'.");
    if (base == "Number" && !is_number_text(value))
      return invalid_parameter("Could not cast message attribute '" + name + "' value to number.");
    if (base != "Binary") {
      const std::string bad = bad_xml_character(value);
      if (!bad.empty()) return bad_contents(bad, "message attribute '" + name + "'");
    }
    bytes += name.size() + v.data_type.size() + value.size();
  }
  return std::nullopt;
}

bool fifo_id_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7E; // letters, digits and punctuation
}

std::optional<error> check_fifo_id(const std::string& value, const char* parameter) {
  if (value.empty() || value.size() > 128 || !std::all_of(value.begin(), value.end(), fifo_id_char))
    return invalid_parameter("Value " + value + " for parameter " + parameter + " is invalid. Reason: " + parameter +
                             " can only include alphanumeric and punctuation characters. 1 to 128 in length.");
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------
// Journal records: a type byte, then fields (u64/i64 little-endian, strings as u32 length + bytes).

class record_writer {
public:
  explicit record_writer(char type) { m_out.push_back(type); }
  record_writer& u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) m_out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
    return *this;
  }
  record_writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  record_writer& str(std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) m_out.push_back(static_cast<char>((n >> (8 * i)) & 0xFFU));
    m_out.append(s);
    return *this;
  }
  record_writer& attrs(const attribute_map& m) {
    u64(m.size());
    for (const auto& [name, v] : m) str(name).str(v.data_type).str(v.string_value).str(v.binary_value);
    return *this;
  }
  std::string take() { return std::move(m_out); }

private:
  std::string m_out;
};

class record_reader {
public:
  explicit record_reader(std::string_view in) : m_in(in) {}
  char type() {
    need(1);
    const char t = m_in[m_pos];
    ++m_pos;
    return t;
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_in[m_pos + i])) << (8 * i);
    m_pos += 8;
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string str() {
    need(4);
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(m_in[m_pos + i])) << (8 * i);
    m_pos += 4;
    need(n);
    std::string s(m_in.substr(m_pos, n));
    m_pos += n;
    return s;
  }
  attribute_map attrs() {
    const std::uint64_t n = u64();
    if (n > 64) throw std::runtime_error("too many attributes");
    attribute_map m;
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string name = str();
      attribute_value v;
      v.data_type = str();
      v.string_value = str();
      v.binary_value = str();
      m.emplace(std::move(name), std::move(v));
    }
    return m;
  }

private:
  void need(std::size_t n) const {
    if (m_in.size() - m_pos < n) throw std::runtime_error("record too short");
  }
  std::string_view m_in;
  std::size_t m_pos = 0;
};

} // namespace

std::string attributes_md5(const attribute_map& attributes) {
  std::vector<events::digest_attribute> digested;
  digested.reserve(attributes.size());
  for (const auto& [name, v] : attributes)
    digested.push_back({name, v.data_type, v.is_binary(), v.is_binary() ? v.binary_value : v.string_value});
  return events::sqs_attributes_md5(std::move(digested));
}

// ---------------------------------------------------------------------------------------------------------

struct store::impl {
  enum class where { visible, waiting };

  struct message {
    std::uint64_t key = 0;
    std::string id, body, md5_body, md5_attrs, md5_sys;
    attribute_map attributes, system_attributes;
    std::int64_t sent_ms = 0;
    std::int64_t visible_at = 0; // the end of its delay or visibility timeout
    std::int64_t first_receive_ms = 0;
    std::uint32_t receive_count = 0;
    std::string group_id, dedup_id, sequence_number, dead_letter_source;
    std::deque<std::string> receipts;
    where state = where::waiting;
    std::uint64_t bytes = 0;
    bool in_flight() const { return state == where::waiting && receive_count > 0; }
  };

  struct group {
    std::set<std::uint64_t> visible;
    std::uint32_t in_flight = 0;
    std::uint64_t ready_key = 0; // its entry in queue::ready (0: none)
  };

  struct dedup_entry {
    std::int64_t at_ms = 0;
    std::string message_id, sequence_number;
  };

  struct config {
    bool fifo = false;
    int visibility_timeout = 30;
    int retention = 345600;
    int delay = 0;
    int wait = 0;
    int max_size = 262144;
    bool content_dedup = false;
    std::string redrive_policy; // normalized JSON, "" for none
    std::string dlq;            // its DLQ's name
    std::uint32_t max_receive = 0;
    std::map<std::string, std::string> opaque; // kept and returned, not used
  };

  struct queue {
    std::string name;
    config cfg;
    std::int64_t created_s = 0, modified_s = 0;
    std::uint64_t next_key = 1;
    std::uint64_t next_sequence = first_sequence;
    std::unordered_map<std::uint64_t, message> messages;
    std::unordered_map<std::string, group> groups;
    std::set<std::pair<std::uint64_t, std::string>> ready;    // (first visible key, group) of groups that can give
    std::set<std::pair<std::int64_t, std::uint64_t>> waiting; // (visible_at, key): delayed or in flight
    std::set<std::pair<std::int64_t, std::uint64_t>> by_sent; // (SentTimestamp, key): retention
    std::unordered_map<std::string, std::uint64_t> receipts;
    std::unordered_map<std::string, dedup_entry> dedup;
    std::deque<std::pair<std::int64_t, std::string>> dedup_order;
    std::size_t n_visible = 0, n_delayed = 0, n_in_flight = 0;
  };

  explicit impl(store& s) : owner(s) {}

  store& owner;
  std::map<std::string, queue> queues;
  core::id_generator ids;
  std::vector<std::function<void(const std::string&)>> receivable_callbacks;
  std::vector<std::function<void(const message_event&)>> observers;
  std::uint64_t live_bytes = 0;
  bool replaying = false;
  bool compacting = false;

  std::int64_t now() const { return owner.m_clock.now_ms(); }
  journal* jr() const { return replaying ? nullptr : owner.m_journal; }

  queue* find(const std::string& name) {
    const auto it = queues.find(name);
    return it == queues.end() ? nullptr : &it->second;
  }

  // --- events ---
  void emit(message_event::kind_t kind, const queue& q, const message& m, std::string detail = "") {
    if (replaying || observers.empty()) return;
    message_event e{kind, q.name, m.id, now(), m.receive_count, std::move(detail)};
    for (auto& f : observers) f(e);
  }
  void receivable(const std::string& name) {
    if (replaying) return;
    for (auto& f : receivable_callbacks) f(name);
  }

  // --- journal ---
  void write(std::string record) {
    journal* j = jr();
    if (!j) return;
    j->append(record);
    if (!compacting && j->wants_compaction(live_bytes + 256 * queues.size())) compact();
  }

  static void write_config(record_writer& w, const config& c) {
    w.u64(c.fifo ? 1 : 0)
        .i64(c.visibility_timeout)
        .i64(c.retention)
        .i64(c.delay)
        .i64(c.wait)
        .i64(c.max_size)
        .u64(c.content_dedup ? 1 : 0)
        .str(c.redrive_policy)
        .str(c.dlq)
        .u64(c.max_receive)
        .u64(c.opaque.size());
    for (const auto& [k, v] : c.opaque) w.str(k).str(v);
  }
  static config read_config(record_reader& r) {
    config c;
    c.fifo = r.u64() != 0;
    c.visibility_timeout = static_cast<int>(r.i64());
    c.retention = static_cast<int>(r.i64());
    c.delay = static_cast<int>(r.i64());
    c.wait = static_cast<int>(r.i64());
    c.max_size = static_cast<int>(r.i64());
    c.content_dedup = r.u64() != 0;
    c.redrive_policy = r.str();
    c.dlq = r.str();
    c.max_receive = static_cast<std::uint32_t>(r.u64());
    const std::uint64_t n = r.u64();
    if (n > 64) throw std::runtime_error("too many queue attributes");
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string k = r.str();
      c.opaque[k] = r.str();
    }
    return c;
  }
  static std::string queue_record(const queue& q) {
    record_writer w('Q');
    w.str(q.name);
    write_config(w, q.cfg);
    w.i64(q.created_s).i64(q.modified_s).u64(q.next_key).u64(q.next_sequence);
    return w.take();
  }
  static std::string message_record(const queue& q, const message& m, bool dedup) {
    record_writer w('S');
    w.str(q.name)
        .u64(m.key)
        .str(m.id)
        .str(m.body)
        .attrs(m.attributes)
        .attrs(m.system_attributes)
        .i64(m.sent_ms)
        .i64(m.visible_at)
        .i64(m.first_receive_ms)
        .u64(m.receive_count)
        .str(m.group_id)
        .str(m.dedup_id)
        .str(m.sequence_number)
        .str(m.dead_letter_source)
        .u64(dedup ? 1 : 0)
        .u64(m.receipts.size());
    for (const std::string& r : m.receipts) w.str(r);
    return w.take();
  }

  std::vector<std::string> snapshot() const {
    std::vector<std::string> out;
    for (const auto& [name, q] : queues) {
      out.push_back(queue_record(q));
      std::vector<const message*> ms;
      ms.reserve(q.messages.size());
      for (const auto& [k, m] : q.messages) ms.push_back(&m);
      std::sort(ms.begin(), ms.end(), [](const message* a, const message* b) { return a->key < b->key; });
      for (const message* m : ms) out.push_back(message_record(q, *m, false));
      for (const auto& [id, e] : q.dedup) {
        record_writer w('U');
        w.str(q.name).str(id).i64(e.at_ms).str(e.message_id).str(e.sequence_number);
        out.push_back(w.take());
      }
    }
    return out;
  }

  void compact() {
    journal* j = jr();
    if (!j) return;
    compacting = true;
    j->compact(snapshot());
    compacting = false;
  }

  // --- message placement ---
  std::string group_key(const queue& q, const message& m) const { return q.cfg.fifo ? m.group_id : std::string(); }

  void refresh_group(queue& q, const std::string& gid) {
    const auto it = q.groups.find(gid);
    if (it == q.groups.end()) return;
    group& g = it->second;
    if (g.ready_key != 0) {
      q.ready.erase({g.ready_key, gid});
      g.ready_key = 0;
    }
    if (!g.visible.empty() && (!q.cfg.fifo || g.in_flight == 0)) {
      g.ready_key = *g.visible.begin();
      q.ready.insert({g.ready_key, gid});
    }
    if (g.visible.empty() && g.in_flight == 0) q.groups.erase(it);
  }

  void make_visible(queue& q, message& m) {
    m.state = where::visible;
    const std::string gid = group_key(q, m);
    q.groups[gid].visible.insert(m.key);
    ++q.n_visible;
    refresh_group(q, gid);
  }

  void make_waiting(queue& q, message& m) {
    m.state = where::waiting;
    q.waiting.insert({m.visible_at, m.key});
    if (m.receive_count > 0) {
      ++q.n_in_flight;
      if (q.cfg.fifo) ++q.groups[m.group_id].in_flight;
    } else {
      ++q.n_delayed;
    }
    if (q.cfg.fifo && m.receive_count > 0) refresh_group(q, m.group_id);
  }

  // Takes `m` out of the visible or waiting structures (it stays in q.messages).
  void detach(queue& q, message& m) {
    const std::string gid = group_key(q, m);
    if (m.state == where::visible) {
      q.groups[gid].visible.erase(m.key);
      --q.n_visible;
    } else {
      q.waiting.erase({m.visible_at, m.key});
      if (m.receive_count > 0) {
        --q.n_in_flight;
        if (q.cfg.fifo) --q.groups[gid].in_flight;
      } else {
        --q.n_delayed;
      }
    }
    refresh_group(q, gid);
  }

  void forget_receipts(queue& q, message& m) {
    for (const std::string& r : m.receipts) q.receipts.erase(r);
    m.receipts.clear();
  }

  void erase(queue& q, message& m) {
    detach(q, m);
    forget_receipts(q, m);
    q.by_sent.erase({m.sent_ms, m.key});
    live_bytes -= std::min(live_bytes, m.bytes);
    const std::uint64_t key = m.key; // not a reference into the node being erased
    q.messages.erase(key);
  }

  message& insert(queue& q, message m, bool visible_now) {
    m.md5_body = events::md5_hex(m.body);
    m.md5_attrs = attributes_md5(m.attributes);
    m.md5_sys = attributes_md5(m.system_attributes);
    m.bytes = m.body.size() + message_overhead;
    for (const auto& [n, v] : m.attributes) m.bytes += n.size() + v.data_type.size() + v.string_value.size() + v.binary_value.size();
    live_bytes += m.bytes;
    if (m.key >= q.next_key) q.next_key = m.key + 1;
    const auto [it, fresh] = q.messages.insert_or_assign(m.key, std::move(m));
    (void)fresh;
    message& stored = it->second;
    for (const std::string& r : stored.receipts) q.receipts[r] = stored.key;
    q.by_sent.insert({stored.sent_ms, stored.key});
    if (visible_now) make_visible(q, stored);
    else make_waiting(q, stored);
    return stored;
  }

  std::string new_receipt() {
    std::string raw;
    raw.reserve(receipt_random_bytes);
    while (raw.size() < receipt_random_bytes) {
      const std::uint64_t v = ids.next();
      for (int i = 0; i < 8; ++i) raw.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
    }
    return std::string(receipt_prefix) + events::base64_encode(raw);
  }

  static bool well_formed_receipt(const std::string& handle) {
    return handle.size() == receipt_prefix.size() + (receipt_random_bytes / 3) * 4 &&
           handle.compare(0, receipt_prefix.size(), receipt_prefix) == 0 &&
           events::base64_decode(std::string_view(handle).substr(receipt_prefix.size())).has_value();
  }

  void add_receipt(queue& q, message& m, std::string receipt) {
    q.receipts[receipt] = m.key;
    m.receipts.push_back(std::move(receipt));
    while (m.receipts.size() > max_receipts_kept) {
      q.receipts.erase(m.receipts.front());
      m.receipts.pop_front();
    }
  }

  // Brings the queue to the clock's time: ended delays and visibility timeouts make messages visible,
  // messages past the retention period are dropped, old deduplication ids forgotten.
  void settle(queue& q) {
    const std::int64_t t = now();
    while (!q.waiting.empty() && q.waiting.begin()->first <= t) {
      message& m = q.messages.at(q.waiting.begin()->second);
      detach(q, m);
      make_visible(q, m);
    }
    const std::int64_t retention_ms = static_cast<std::int64_t>(q.cfg.retention) * 1000;
    while (!q.by_sent.empty() && q.by_sent.begin()->first + retention_ms <= t) {
      message& m = q.messages.at(q.by_sent.begin()->second);
      emit(message_event::expired, q, m);
      const std::uint64_t key = m.key;
      erase(q, m);
      write(record_writer('X').str(q.name).u64(key).take());
    }
    while (!q.dedup_order.empty() && q.dedup_order.front().first + dedup_window_ms <= t) {
      const auto it = q.dedup.find(q.dedup_order.front().second);
      if (it != q.dedup.end() && it->second.at_ms == q.dedup_order.front().first) q.dedup.erase(it);
      q.dedup_order.pop_front();
    }
  }

  void add_dedup(queue& q, const std::string& id, std::int64_t at, const std::string& message_id, const std::string& seq) {
    q.dedup[id] = dedup_entry{at, message_id, seq};
    q.dedup_order.emplace_back(at, id);
  }

  // --- operations shared by the live calls and the replay ---
  void move_to_dead_letter(queue& q, message& m, queue& dq, std::uint64_t new_key) {
    message moved;
    moved.key = new_key;
    moved.id = m.id;
    moved.body = m.body;
    moved.attributes = m.attributes;
    moved.system_attributes = m.system_attributes;
    moved.sent_ms = m.sent_ms;
    moved.visible_at = now();
    moved.group_id = m.group_id;
    moved.dedup_id = m.dedup_id;
    moved.sequence_number = m.sequence_number;
    moved.dead_letter_source = owner.queue_arn(q.name);
    erase(q, m);
    insert(dq, std::move(moved), true);
  }

  void purge(queue& q) {
    for (auto& [k, m] : q.messages) {
      emit(message_event::purged, q, m);
      live_bytes -= std::min(live_bytes, m.bytes);
    }
    q.messages.clear();
    q.groups.clear();
    q.ready.clear();
    q.waiting.clear();
    q.by_sent.clear();
    q.receipts.clear();
    q.n_visible = q.n_delayed = q.n_in_flight = 0;
  }

  void drop_queue(const std::string& name) {
    const auto it = queues.find(name);
    if (it == queues.end()) return;
    for (auto& [k, m] : it->second.messages) live_bytes -= std::min(live_bytes, m.bytes);
    queues.erase(it);
  }

  // --- replay ---
  void apply(std::string_view record) {
    record_reader r(record);
    const char type = r.type();
    if (type == 'Q') {
      const std::string name = r.str();
      config c = read_config(r);
      queue& q = queues[name];
      q.name = name;
      q.cfg = std::move(c);
      q.created_s = r.i64();
      q.modified_s = r.i64();
      q.next_key = std::max(q.next_key, r.u64());
      q.next_sequence = std::max(q.next_sequence, r.u64());
      return;
    }
    queue* q = find(r.str());
    if (!q) throw std::runtime_error("a record for an unknown queue");
    switch (type) {
    case 'D':
      drop_queue(q->name);
      return;
    case 'S': {
      message m;
      m.key = r.u64();
      m.id = r.str();
      m.body = r.str();
      m.attributes = r.attrs();
      m.system_attributes = r.attrs();
      m.sent_ms = r.i64();
      m.visible_at = r.i64();
      m.first_receive_ms = r.i64();
      m.receive_count = static_cast<std::uint32_t>(r.u64());
      m.group_id = r.str();
      m.dedup_id = r.str();
      m.sequence_number = r.str();
      m.dead_letter_source = r.str();
      const bool dedup = r.u64() != 0;
      const std::uint64_t receipts = r.u64();
      if (receipts > max_receipts_kept) throw std::runtime_error("too many receipt handles");
      for (std::uint64_t i = 0; i < receipts; ++i) m.receipts.push_back(r.str());
      if (!m.sequence_number.empty()) {
        std::uint64_t seq = 0;
        const auto [p, ec] = std::from_chars(m.sequence_number.data(), m.sequence_number.data() + m.sequence_number.size(), seq);
        (void)p;
        if (ec == std::errc() && seq >= q->next_sequence) q->next_sequence = seq + 1;
      }
      if (dedup && !m.dedup_id.empty()) add_dedup(*q, m.dedup_id, m.sent_ms, m.id, m.sequence_number);
      const auto old = q->messages.find(m.key);
      if (old != q->messages.end()) erase(*q, old->second);
      insert(*q, std::move(m), false);
      return;
    }
    case 'U': {
      const std::string id = r.str();
      const std::int64_t at = r.i64();
      const std::string mid = r.str();
      add_dedup(*q, id, at, mid, r.str());
      return;
    }
    case 'R': {
      message& m = q->messages.at(r.u64());
      detach(*q, m);
      m.visible_at = r.i64();
      m.receive_count = static_cast<std::uint32_t>(r.u64());
      m.first_receive_ms = r.i64();
      add_receipt(*q, m, r.str());
      make_waiting(*q, m);
      return;
    }
    case 'V': {
      message& m = q->messages.at(r.u64());
      detach(*q, m);
      m.visible_at = r.i64();
      make_waiting(*q, m);
      return;
    }
    case 'X': {
      const auto it = q->messages.find(r.u64());
      if (it != q->messages.end()) erase(*q, it->second);
      return;
    }
    case 'M': {
      message& m = q->messages.at(r.u64());
      queue* dq = find(r.str());
      if (!dq) throw std::runtime_error("a move to an unknown queue");
      const std::uint64_t key = r.u64();
      move_to_dead_letter(*q, m, *dq, key);
      // Replayed as waiting until its time, like every other replayed message.
      message& moved = dq->messages.at(key);
      detach(*dq, moved);
      moved.visible_at = r.i64();
      make_waiting(*dq, moved);
      return;
    }
    case 'P':
      purge(*q);
      return;
    default:
      throw std::runtime_error(std::string("unknown record type ") + type);
    }
  }

  // --- attributes ---
  // Applies `attributes` to `c`: an error for an unknown name or a bad value. `creating` allows FifoQueue.
  std::optional<error> apply_attributes(config& c, const std::string& queue_name,
                                        const std::map<std::string, std::string>& attributes, bool creating) {
    // FifoQueue first: ContentBasedDeduplication depends on it.
    if (const auto it = attributes.find("FifoQueue"); it != attributes.end()) {
      if (it->second != "true" && it->second != "false") return invalid_attribute_value("FifoQueue");
      const bool fifo = it->second == "true";
      if (!creating && fifo != c.fifo)
        return invalid_attribute_value("FifoQueue", "Modifying queue type is not supported.");
      if (creating) c.fifo = fifo;
    }
    for (const auto& attribute : attributes) {
      // Named references, not a structured binding: clang 14 cannot capture one in the lambda below.
      const std::string& name = attribute.first;
      const std::string& value = attribute.second;
      const auto integer = [&](int lo, int hi, int& out) -> std::optional<error> {
        const auto v = parse_integer(value);
        if (!v || *v < lo || *v > hi) return invalid_attribute_value(name);
        out = static_cast<int>(*v);
        return std::nullopt;
      };
      std::optional<error> e;
      if (name == "FifoQueue") continue;
      if (name == "VisibilityTimeout") e = integer(0, 43200, c.visibility_timeout);
      else if (name == "MessageRetentionPeriod") e = integer(60, 1209600, c.retention);
      else if (name == "DelaySeconds") e = integer(0, 900, c.delay);
      else if (name == "ReceiveMessageWaitTimeSeconds") e = integer(0, 20, c.wait);
      else if (name == "MaximumMessageSize") e = integer(1024, 1048576, c.max_size);
      else if (name == "ContentBasedDeduplication") {
        if (!c.fifo) return unknown_attribute(name);
        if (value != "true" && value != "false") return invalid_attribute_value(name);
        c.content_dedup = value == "true";
      } else if (name == "RedrivePolicy") {
        e = apply_redrive(c, queue_name, value);
      } else if (name == "Policy" || name == "RedriveAllowPolicy" || name == "KmsMasterKeyId" ||
                 name == "KmsDataKeyReusePeriodSeconds" || name == "SqsManagedSseEnabled" ||
                 ((name == "DeduplicationScope" || name == "FifoThroughputLimit") && c.fifo)) {
        if (value.size() > 20480) return invalid_attribute_value(name);
        if (value.empty()) c.opaque.erase(name);
        else c.opaque[name] = value;
      } else {
        return unknown_attribute(name);
      }
      if (e) return e;
    }
    return std::nullopt;
  }

  std::optional<error> apply_redrive(config& c, const std::string& queue_name, const std::string& value) {
    if (value.empty()) {
      c.redrive_policy.clear();
      c.dlq.clear();
      c.max_receive = 0;
      return std::nullopt;
    }
    const auto bad = [&](const std::string& reason) {
      return invalid_parameter("Value " + value + " for parameter RedrivePolicy is invalid. Reason: " + reason);
    };
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("Redrive policy is not a valid JSON map.");
    const auto arn = j.find("deadLetterTargetArn");
    const auto count = j.find("maxReceiveCount");
    if (arn == j.end() || !arn->is_string()) return bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
    if (count == j.end()) return bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
    std::optional<long long> n;
    if (count->is_number_integer()) n = count->get<long long>();
    else if (count->is_string()) n = parse_integer(count->get<std::string>());
    if (!n || *n < 1 || *n > 1000)
      return bad("Invalid value for maxReceiveCount: " + count->dump() + ", valid values are from 1 to 1000 both inclusive.");
    const std::string target = arn->get<std::string>();
    const std::string prefix = "arn:aws:sqs:" + owner.m_options.region + ":" + owner.m_options.account_id + ":";
    const std::string dlq = target.rfind(prefix, 0) == 0 ? target.substr(prefix.size()) : "";
    const queue* dq = dlq.empty() ? nullptr : find(dlq);
    if (!dq) return bad("Dead letter target does not exist.");
    if (dq->cfg.fifo != c.fifo)
      return bad(c.fifo ? "Dead-letter queue of a FIFO queue must be a FIFO queue."
                        : "Dead-letter queue of a standard queue must be a standard queue.");
    if (dlq == queue_name) return bad("A queue cannot be its own dead-letter queue.");
    c.dlq = dlq;
    c.max_receive = static_cast<std::uint32_t>(*n);
    nlohmann::ordered_json normalized;
    normalized["deadLetterTargetArn"] = target;
    normalized["maxReceiveCount"] = *n;
    c.redrive_policy = normalized.dump();
    return std::nullopt;
  }

  std::map<std::string, std::string> all_attributes(const queue& q) const {
    std::map<std::string, std::string> a;
    a["QueueArn"] = owner.queue_arn(q.name);
    a["ApproximateNumberOfMessages"] = std::to_string(q.n_visible);
    a["ApproximateNumberOfMessagesNotVisible"] = std::to_string(q.n_in_flight);
    a["ApproximateNumberOfMessagesDelayed"] = std::to_string(q.n_delayed);
    a["CreatedTimestamp"] = std::to_string(q.created_s);
    a["LastModifiedTimestamp"] = std::to_string(q.modified_s);
    a["VisibilityTimeout"] = std::to_string(q.cfg.visibility_timeout);
    a["MessageRetentionPeriod"] = std::to_string(q.cfg.retention);
    a["DelaySeconds"] = std::to_string(q.cfg.delay);
    a["ReceiveMessageWaitTimeSeconds"] = std::to_string(q.cfg.wait);
    a["MaximumMessageSize"] = std::to_string(q.cfg.max_size);
    if (!q.cfg.redrive_policy.empty()) a["RedrivePolicy"] = q.cfg.redrive_policy;
    if (q.cfg.fifo) {
      a["FifoQueue"] = "true";
      a["ContentBasedDeduplication"] = q.cfg.content_dedup ? "true" : "false";
    }
    for (const auto& [k, v] : q.cfg.opaque) a[k] = v;
    return a;
  }
};

// ---------------------------------------------------------------------------------------------------------

store::store(clock& c, store_options o, journal* j)
    : m_clock(c), m_options(std::move(o)), m_journal(j), m_impl(std::make_unique<impl>(*this)) {
  if (!m_journal) return;
  m_impl->replaying = true;
  std::size_t applied = 0, failed = 0;
  m_journal->replay([&](std::string_view record) {
    try {
      m_impl->apply(record);
      ++applied;
    } catch (const std::exception& e) {
      if (failed++ == 0) spdlog::warn("sqs state: a journal record could not be applied ({}): skipped", e.what());
    }
  });
  m_impl->replaying = false;
  if (failed > 1) spdlog::warn("sqs state: {} journal records could not be applied in all", failed);
  std::size_t messages = 0;
  for (const auto& [name, q] : m_impl->queues) messages += q.messages.size();
  spdlog::debug("sqs state: {} records replayed from {}: {} queues, {} messages", applied, m_journal->dir().string(),
                m_impl->queues.size(), messages);
  if (m_journal->needs_snapshot() || m_journal->wants_compaction(m_impl->live_bytes)) m_impl->compact();
}

store::~store() = default;

std::string store::queue_url(const std::string& name) const {
  return m_options.url_base + "/" + m_options.account_id + "/" + name;
}

std::string store::queue_arn(const std::string& name) const {
  return "arn:aws:sqs:" + m_options.region + ":" + m_options.account_id + ":" + name;
}

std::optional<std::string> store::queue_from_url(const std::string& url_or_name) const {
  std::string_view s = url_or_name;
  if (const auto q = s.find_first_of("?#"); q != std::string_view::npos) s = s.substr(0, q);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  std::string_view name = s;
  if (const auto scheme = s.find("://"); scheme != std::string_view::npos) {
    s = s.substr(scheme + 3);
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    s = s.substr(slash + 1); // the path
  }
  if (const auto slash = s.rfind('/'); slash != std::string_view::npos) {
    name = s.substr(slash + 1);
    std::string_view before = s.substr(0, slash);
    if (const auto prev = before.rfind('/'); prev != std::string_view::npos) before = before.substr(prev + 1);
    if (!before.empty() && before != m_options.account_id) return std::nullopt;
  } else {
    name = s;
  }
  const std::string n(name);
  if (m_impl->queues.count(n) == 0) return std::nullopt;
  return n;
}

result<std::string> store::create_queue(const std::string& name, const std::map<std::string, std::string>& attributes) {
  if (name.empty()) return make_error("MissingParameter", "The request must contain the parameter QueueName.");
  const auto fifo_it = attributes.find("FifoQueue");
  const bool fifo = fifo_it != attributes.end() && fifo_it->second == "true";
  if (fifo || ends_with(name, ".fifo")) {
    if (!valid_queue_name(name, true) || !fifo)
      return invalid_parameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                               "underscores, must end with .fifo suffix and be 1 to 80 in length.");
  } else if (!valid_queue_name(name, false)) {
    return invalid_parameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
  impl::config c;
  if (auto e = m_impl->apply_attributes(c, name, attributes, true)) return *e;
  if (impl::queue* existing = m_impl->find(name)) {
    // Only the attributes given are compared, as SQS does.
    const std::map<std::string, std::string> now_attrs = m_impl->all_attributes(*existing);
    std::map<std::string, std::string> wanted;
    {
      impl::queue probe;
      probe.name = name;
      probe.cfg = c;
      wanted = m_impl->all_attributes(probe);
    }
    for (const auto& [k, v] : attributes) {
      (void)v;
      const auto a = now_attrs.find(k);
      const auto b = wanted.find(k);
      const std::string av = a == now_attrs.end() ? "" : a->second;
      const std::string bv = b == wanted.end() ? "" : b->second;
      if (av != bv)
        return make_error("QueueAlreadyExists",
                          "A queue already exists with the same name and a different value for attribute " + k);
    }
    return queue_url(name);
  }
  impl::queue& q = m_impl->queues[name];
  q.name = name;
  q.cfg = std::move(c);
  q.created_s = q.modified_s = m_clock.now_ms() / 1000;
  m_impl->write(impl::queue_record(q));
  return queue_url(name);
}

result<std::string> store::get_queue_url(const std::string& name) const {
  if (!m_impl->find(name)) return no_queue();
  return queue_url(name);
}

std::vector<std::string> store::list_queues(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = m_impl->queues.lower_bound(prefix); it != m_impl->queues.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(queue_url(it->first));
  }
  return out;
}

status store::delete_queue(const std::string& name) {
  if (!m_impl->find(name)) return no_queue();
  m_impl->drop_queue(name);
  m_impl->write(record_writer('D').str(name).take());
  return std::nullopt;
}

result<std::map<std::string, std::string>> store::get_attributes(const std::string& name,
                                                                   const std::vector<std::string>& names) const {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  m_impl->settle(*q);
  std::map<std::string, std::string> all = m_impl->all_attributes(*q);
  static const std::set<std::string> known = {"All",
                                              "QueueArn",
                                              "ApproximateNumberOfMessages",
                                              "ApproximateNumberOfMessagesNotVisible",
                                              "ApproximateNumberOfMessagesDelayed",
                                              "CreatedTimestamp",
                                              "LastModifiedTimestamp",
                                              "VisibilityTimeout",
                                              "MessageRetentionPeriod",
                                              "DelaySeconds",
                                              "ReceiveMessageWaitTimeSeconds",
                                              "MaximumMessageSize",
                                              "RedrivePolicy",
                                              "FifoQueue",
                                              "ContentBasedDeduplication",
                                              "Policy",
                                              "RedriveAllowPolicy",
                                              "KmsMasterKeyId",
                                              "KmsDataKeyReusePeriodSeconds",
                                              "SqsManagedSseEnabled",
                                              "DeduplicationScope",
                                              "FifoThroughputLimit"};
  std::map<std::string, std::string> out;
  for (const std::string& n : names) {
    if (known.count(n) == 0) return unknown_attribute(n);
    if (n == "All") return all;
    if (const auto it = all.find(n); it != all.end()) out[n] = it->second;
  }
  return out;
}

status store::set_attributes(const std::string& name, const std::map<std::string, std::string>& attributes) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  impl::config c = q->cfg;
  if (auto e = m_impl->apply_attributes(c, name, attributes, false)) return e;
  m_impl->settle(*q); // the old retention period and timeouts up to now
  q->cfg = std::move(c);
  q->modified_s = m_clock.now_ms() / 1000;
  m_impl->write(impl::queue_record(*q));
  return std::nullopt;
}

result<sent> store::send(const std::string& name, const send_entry& e) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  if (e.body.empty()) return make_error("MissingParameter", "The request must contain the parameter MessageBody.");
  if (const std::string bad = bad_xml_character(e.body); !bad.empty()) return bad_contents(bad, "message body");
  std::size_t bytes = e.body.size();
  if (auto err = check_attributes(e.attributes, bytes, false)) return *err;
  std::size_t system_bytes = 0;
  if (auto err = check_attributes(e.system_attributes, system_bytes, true)) return *err;
  if (bytes > static_cast<std::size_t>(q->cfg.max_size))
    return invalid_parameter("One or more parameters are invalid. Reason: Message must be shorter than " +
                             std::to_string(q->cfg.max_size) + " bytes.");
  const char* not_for_type = " is invalid. Reason: The request include parameter that is not valid for this queue type.";
  int delay = q->cfg.delay;
  std::string dedup_id = e.deduplication_id;
  if (q->cfg.fifo) {
    if (e.delay_seconds) return invalid_parameter("Value " + std::to_string(*e.delay_seconds) + " for parameter DelaySeconds" + not_for_type);
    if (e.group_id.empty()) return make_error("MissingParameter", "The request must contain the parameter MessageGroupId.");
    if (auto err = check_fifo_id(e.group_id, "MessageGroupId")) return *err;
    if (!dedup_id.empty()) {
      if (auto err = check_fifo_id(dedup_id, "MessageDeduplicationId")) return *err;
    } else if (q->cfg.content_dedup) {
      dedup_id = events::sha256_hex(e.body);
    } else {
      return invalid_parameter("The queue should either have ContentBasedDeduplication enabled or "
                               "MessageDeduplicationId provided explicitly");
    }
  } else {
    if (!dedup_id.empty()) return invalid_parameter("Value " + dedup_id + " for parameter MessageDeduplicationId" + not_for_type);
    if (!e.group_id.empty()) {
      if (auto err = check_fifo_id(e.group_id, "MessageGroupId")) return *err;
    }
    if (e.delay_seconds) {
      if (*e.delay_seconds < 0 || *e.delay_seconds > 900)
        return invalid_parameter("Value " + std::to_string(*e.delay_seconds) +
                                 " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
      delay = *e.delay_seconds;
    }
  }
  m_impl->settle(*q);
  const std::int64_t now = m_clock.now_ms();
  if (q->cfg.fifo) {
    if (const auto it = q->dedup.find(dedup_id); it != q->dedup.end()) {
      // A duplicate: accepted, not enqueued; the answer is the first one's.
      return sent{it->second.message_id, events::md5_hex(e.body), attributes_md5(e.attributes),
                  attributes_md5(e.system_attributes), it->second.sequence_number};
    }
  }
  impl::message m;
  m.key = q->next_key++;
  m.id = m_impl->ids.request_id();
  m.body = e.body;
  m.attributes = e.attributes;
  m.system_attributes = e.system_attributes;
  m.sent_ms = now;
  m.visible_at = now + static_cast<std::int64_t>(delay) * 1000;
  m.group_id = e.group_id;
  if (q->cfg.fifo) {
    m.dedup_id = dedup_id;
    m.sequence_number = std::to_string(q->next_sequence++);
    m_impl->add_dedup(*q, dedup_id, now, m.id, m.sequence_number);
  }
  impl::message& stored = m_impl->insert(*q, std::move(m), delay == 0);
  sent out{stored.id, stored.md5_body, stored.md5_attrs, stored.md5_sys, stored.sequence_number};
  m_impl->emit(message_event::sent, *q, stored);
  if (m_journal) m_impl->write(impl::message_record(*q, stored, q->cfg.fifo));
  if (delay == 0) m_impl->receivable(name);
  return out;
}

result<std::vector<received_message>> store::receive(const std::string& name, const receive_request& r) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  if (r.max_messages < 1 || r.max_messages > 10)
    return invalid_parameter("Value " + std::to_string(r.max_messages) +
                             " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
  if (r.visibility_timeout && (*r.visibility_timeout < 0 || *r.visibility_timeout > 43200))
    return invalid_parameter("Value " + std::to_string(*r.visibility_timeout) +
                             " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.");
  m_impl->settle(*q);
  const std::int64_t now = m_clock.now_ms();
  const std::int64_t deadline = now + static_cast<std::int64_t>(r.visibility_timeout.value_or(q->cfg.visibility_timeout)) * 1000;
  std::vector<received_message> out;
  const auto max = static_cast<std::size_t>(r.max_messages);
  while (out.size() < max && !q->ready.empty()) {
    const std::string gid = q->ready.begin()->second;
    // Every message of this group it can give, in order (a FIFO group is blocked once one is in flight,
    // but one receive may take several of it).
    while (out.size() < max) {
      const auto git = q->groups.find(gid);
      if (git == q->groups.end() || git->second.visible.empty()) break;
      impl::message& m = q->messages.at(*git->second.visible.begin());
      if (q->cfg.max_receive > 0 && m.receive_count >= q->cfg.max_receive && q->cfg.dlq != name) {
        if (impl::queue* dq = m_impl->find(q->cfg.dlq)) {
          const std::uint64_t key = dq->next_key++;
          const std::uint64_t old_key = m.key;
          m_impl->emit(message_event::moved_to_dead_letter, *q, m, dq->name);
          m_impl->move_to_dead_letter(*q, m, *dq, key);
          m_impl->write(record_writer('M').str(name).u64(old_key).str(dq->name).u64(key).i64(now).take());
          m_impl->receivable(dq->name);
          continue;
        }
      }
      m_impl->detach(*q, m);
      ++m.receive_count;
      if (m.first_receive_ms == 0) m.first_receive_ms = now;
      m.visible_at = deadline;
      std::string receipt = m_impl->new_receipt();
      m_impl->add_receipt(*q, m, receipt);
      m_impl->make_waiting(*q, m);
      if (m_journal)
        m_impl->write(record_writer('R')
                          .str(name)
                          .u64(m.key)
                          .i64(m.visible_at)
                          .u64(m.receive_count)
                          .i64(m.first_receive_ms)
                          .str(receipt)
                          .take());
      received_message rm;
      rm.message_id = m.id;
      rm.receipt_handle = std::move(receipt);
      rm.body = m.body;
      rm.md5_of_body = m.md5_body;
      rm.md5_of_attributes = m.md5_attrs;
      rm.attributes = m.attributes;
      rm.receive_count = m.receive_count;
      rm.system["ApproximateReceiveCount"] = std::to_string(m.receive_count);
      rm.system["SentTimestamp"] = std::to_string(m.sent_ms);
      rm.system["SenderId"] = m_options.sender_id;
      rm.system["ApproximateFirstReceiveTimestamp"] = std::to_string(m.first_receive_ms);
      if (!m.group_id.empty()) rm.system["MessageGroupId"] = m.group_id;
      if (q->cfg.fifo) {
        rm.system["SequenceNumber"] = m.sequence_number;
        rm.system["MessageDeduplicationId"] = m.dedup_id;
      }
      if (const auto t = m.system_attributes.find("AWSTraceHeader"); t != m.system_attributes.end())
        rm.system["AWSTraceHeader"] = t->second.string_value;
      if (!m.dead_letter_source.empty()) rm.system["DeadLetterQueueSourceArn"] = m.dead_letter_source;
      m_impl->emit(message_event::received, *q, m);
      out.push_back(std::move(rm));
    }
    if (!q->cfg.fifo) continue;
    // A FIFO group that gave what it had is now blocked (refresh_group took it out of `ready`).
  }
  return out;
}

status store::delete_message(const std::string& name, const std::string& receipt_handle) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  if (receipt_handle.empty()) return make_error("MissingParameter", "The request must contain the parameter ReceiptHandle.");
  if (!impl::well_formed_receipt(receipt_handle)) return bad_receipt(receipt_handle);
  const auto it = q->receipts.find(receipt_handle);
  if (it == q->receipts.end()) return std::nullopt; // deleted already: SQS answers success too
  impl::message& m = q->messages.at(it->second);
  const bool unblocks = q->cfg.fifo && m.in_flight();
  const std::string gid = m.group_id;
  m_impl->emit(message_event::deleted, *q, m);
  const std::uint64_t key = m.key;
  m_impl->erase(*q, m);
  m_impl->write(record_writer('X').str(name).u64(key).take());
  if (unblocks) {
    const auto g = q->groups.find(gid);
    if (g != q->groups.end() && g->second.ready_key != 0) m_impl->receivable(name);
  }
  return std::nullopt;
}

status store::change_visibility(const std::string& name, const std::string& receipt_handle, int seconds) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  if (receipt_handle.empty()) return make_error("MissingParameter", "The request must contain the parameter ReceiptHandle.");
  if (seconds < 0 || seconds > 43200)
    return invalid_parameter("Value " + std::to_string(seconds) +
                             " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.");
  if (!impl::well_formed_receipt(receipt_handle)) return bad_receipt(receipt_handle);
  m_impl->settle(*q);
  const auto it = q->receipts.find(receipt_handle);
  if (it == q->receipts.end())
    return invalid_parameter("Value " + receipt_handle +
                             " for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not "
                             "available for visibility timeout change.");
  impl::message& m = q->messages.at(it->second);
  if (!m.in_flight())
    return make_error("AWS.SimpleQueueService.MessageNotInflight",
                      "Message does not exist or is not available for visibility timeout change.");
  m_impl->detach(*q, m);
  m.visible_at = m_clock.now_ms() + static_cast<std::int64_t>(seconds) * 1000;
  m_impl->make_waiting(*q, m);
  m_impl->write(record_writer('V').str(name).u64(m.key).i64(m.visible_at).take());
  if (seconds == 0) {
    m_impl->settle(*q);
    m_impl->receivable(name);
  }
  return std::nullopt;
}

status store::purge(const std::string& name) {
  impl::queue* q = m_impl->find(name);
  if (!q) return no_queue();
  m_impl->purge(*q);
  m_impl->write(record_writer('P').str(name).take());
  return std::nullopt;
}

std::int64_t store::next_change(const std::string& name) const {
  const impl::queue* q = m_impl->find(name);
  if (!q) return -1;
  std::int64_t t = -1;
  if (!q->waiting.empty()) t = q->waiting.begin()->first;
  if (!q->by_sent.empty()) {
    const std::int64_t expiry = q->by_sent.begin()->first + static_cast<std::int64_t>(q->cfg.retention) * 1000;
    if (t < 0 || expiry < t) t = expiry;
  }
  return t;
}

bool store::exists(const std::string& name) const { return m_impl->find(name) != nullptr; }

bool store::is_fifo(const std::string& name) const {
  const impl::queue* q = m_impl->find(name);
  return q && q->cfg.fifo;
}

int store::visibility_timeout(const std::string& name) const {
  const impl::queue* q = m_impl->find(name);
  return q ? q->cfg.visibility_timeout : 0;
}

void store::on_send(std::function<void(const std::string& queue)> f) { m_impl->receivable_callbacks.push_back(std::move(f)); }

void store::observer(std::function<void(const message_event&)> f) { m_impl->observers.push_back(std::move(f)); }

} // namespace lemu::sqs
