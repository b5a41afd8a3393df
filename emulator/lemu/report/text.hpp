#pragma once
// Text helpers shared by the JUnit and HTML renderers: making arbitrary bytes (function output, diffs,
// error payloads) safe for XML 1.0 and HTML5 while keeping them readable, and locale-free number
// formatting. Pure.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::report {

// `raw` as valid UTF-8 holding only characters that XML 1.0 allows and HTML5 does not flag:
//  - ANSI escape sequences (CSI such as colors "\x1b[31m", OSC titles "\x1b]0;...\x07", two-byte ESC x) are
//    removed;
//  - tab, line feed and carriage return are kept; every other C0 control and DEL becomes its Unicode
//    control picture (U+2400 + byte: NUL -> "␀", a lone ESC -> "␛", DEL -> "␡"), so it stays visible;
//  - invalid UTF-8 (stray bytes, overlongs, surrogates, beyond U+10FFFF), C1 controls (U+0080..U+009F) and
//    noncharacters (U+FDD0..U+FDEF, U+xxFFFE, U+xxFFFF) become U+FFFD "�".
std::string clean_text(std::string_view raw);

// clean_text, then every run of whitespace (space, tab, CR, LF) as one space, trimmed: for xs:token
// attributes (names), which readers would collapse anyway.
std::string clean_token(std::string_view raw);

// Appends cleaned text (the output of clean_text) escaped for XML: & < > always; in an attribute also "
// and tab / LF / CR as character references so that attribute normalisation keeps them. A CR in text
// content is written as &#13; (a parser would otherwise turn it into LF).
void append_xml_escaped(std::string& out, std::string_view clean, bool attribute);

// Appends cleaned text escaped for HTML text or a double-quoted attribute: & < > " ' ; CR LF becomes LF
// and a lone CR becomes LF.
void append_html_escaped(std::string& out, std::string_view clean);

// Escaped copies of raw text (clean_text + the append above).
std::string xml_text(std::string_view raw);
std::string xml_attribute(std::string_view raw);
std::string html_escape(std::string_view raw);

// `value` with exactly `digits` digits after the point ("0.012"), independent of the C locale; NaN,
// infinities and negative values give 0 ("0.000"). Suits xs:decimal (no exponent, no sign).
std::string decimal(double value, int digits);

// A short human number: up to ~3 significant digits, trailing zeros trimmed ("0.05", "1.5", "12.3",
// "250", "12000"); negatives keep their sign; NaN/inf give "0".
std::string short_number(double value);

} // namespace lemu::report
