#pragma once
// Redaction of secrets in recorded events (`lemu serve --record`): what a request carried as credentials or
// session state does not end up in files that get committed or shared.

#include <nlohmann/json.hpp>

#include <cstddef>

namespace lemu::gateway {

inline constexpr const char* redacted_value = "<redacted>";

// Replaces the values of secrets in a recorded event, in place: every object key equal (case-insensitively) to
// Authorization, Cookie or X-Amz-Security-Token anywhere in the document — a string value becomes "<redacted>", an
// array of strings becomes an array of "<redacted>" of the same length — and, in a payload 2.0 event (top-level
// "version":"2.0"), every element of the top-level "cookies" array. Returns how many values were replaced.
//
// Details: in an array under a secret key only the strings are replaced (and counted); a secret key whose value
// is an object or another type is left as it is, and searched like any other object. A value that already
// reads "<redacted>" is replaced again and counted, so the count is the number of secret values found.
std::size_t redact_secrets(nlohmann::ordered_json& event);

} // namespace lemu::gateway
