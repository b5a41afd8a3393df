#pragma once
// AWS Signature Version 4 (the documented algorithm, HMAC-SHA256 and SHA-256 through OpenSSL's EVP), and
// where a signer finds its credentials and region. Used by remote_client.hpp to sign requests to an
// SQS-compatible endpoint the user named; knows nothing of SQS itself.
//
// Signing, in the documented four steps:
//   1. canonical request: METHOD \n canonical URI \n canonical query \n canonical headers \n signed headers
//      \n hex(SHA-256(payload)). The URI is the path as sent, normalised (no empty or "." segments, ".."
//      resolved) and percent-encoded once more (every byte but A-Z a-z 0-9 - _ . ~ and '/'); the query's
//      parameters are decoded, encoded again the same way ('/' too), sorted by name then value, a missing
//      value is "name="; header names are lowercased, values trimmed with inner runs of spaces made one,
//      headers of the same name joined with ',' in the order given, sorted by name;
//   2. string to sign: "AWS4-HMAC-SHA256" \n amz-date \n date/region/service/aws4_request \n
//      hex(SHA-256(canonical request));
//   3. signing key: HMAC("AWS4" + secret, date) -> region -> service -> "aws4_request";
//   4. Authorization: "AWS4-HMAC-SHA256 Credential=KEY/scope, SignedHeaders=a;b, Signature=hex".

#include <lemu/sqs/store.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::sqs::sigv4 {

struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // "" when none
  std::string source;        // where they came from, for messages: "environment", "~/.aws/credentials [default]"
};

// A request to sign. `headers` are every header that is signed (Host among them), as name/value pairs
// in the order they are sent; `path` and `query` are the target as sent ("/a%20b", "x=1&y=2", no '?').
struct request {
  std::string method = "POST";
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct scope {
  std::string amz_date; // "20150830T123600Z" (the X-Amz-Date); its first 8 characters are the date
  std::string region;
  std::string service;
};

struct signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers; // "host;x-amz-date"
  std::string signature;      // hex
  std::string authorization;  // the Authorization header's value
};

// Hex (lowercase) of bytes, SHA-256 (hex) of bytes, raw HMAC-SHA256 of data under key.
std::string hex(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Percent-encoding of everything but the unreserved characters (and '/' when keep_slash), uppercase hex.
std::string uri_encode(std::string_view s, bool keep_slash);
std::string canonical_uri(std::string_view path);
std::string canonical_query(std::string_view query);
// The raw signing key (32 bytes) of a date (YYYYMMDD), region and service.
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// Signs `r` as it is (its headers must already hold X-Amz-Date and, with a session token,
// X-Amz-Security-Token: see sign_request).
signature sign(const request& r, const credentials& c, const scope& s);

// "20150830T123600Z" of epoch milliseconds.
std::string amz_date(std::int64_t epoch_ms);

// Adds X-Amz-Date (of `epoch_ms`) and, with a session token, X-Amz-Security-Token to `r`'s headers, signs
// them with the others, and adds the Authorization header. Returns what was signed.
signature sign_request(request& r, const credentials& c, const std::string& region, const std::string& service,
                       std::int64_t epoch_ms);

// Reads the environment (getenv by default; tests pass their own).
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
env_lookup process_environment();

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), else the AWS_PROFILE (default
// "default") profile of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
// ~/.aws/credentials): aws_access_key_id, aws_secret_access_key, aws_session_token. An error
// ("MissingCredentials") naming the places looked at when none has them.
result<credentials> find_credentials(const env_lookup& env);
// The [profile] of an INI text (credentials file syntax: "[name]", "key = value", '#'/';' comments), or
// nullopt when the profile is not there or lacks a key id or secret.
std::optional<credentials> parse_credentials_file(std::string_view text, const std::string& profile);

// AWS_REGION, else AWS_DEFAULT_REGION, else the region of a queue URL's host (sqs.<region>.amazonaws.com,
// <region>.queue.amazonaws.com), else us-east-1.
std::string find_region(const env_lookup& env, const std::string& queue_url);
// The region named by an AWS SQS host, or "" (any other host).
std::string region_of_host(std::string_view host);

} // namespace lemu::sqs::sigv4
