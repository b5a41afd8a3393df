// JUnit XML: the exact document for a small suite, schema validity (xmllint against the Ant JUnit.xsd) of
// awkward inputs, and that what a reader gets back (xmllint --xpath) is the input text, cleaned.
#include <lemu/report/junit.hpp>
#include <lemu/report/text.hpp>

#include "xmllint.hpp"

#include <support/command.hpp>

#include <lemu_test_paths.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace lemu::report {
namespace {

using result = test_case::result;

// The XSD ships as test data (tests/data/junit/JUnit.xsd, a verbatim copy of ../shared/fixtures/junit).
std::string schema_path() { return std::string(test::test_data_dir) + "/junit/JUnit.xsd"; }

// Validates `xml` against the schema; returns xmllint's stderr when it fails, "" when valid.
std::string schema_errors(const test::scratch_dir& dir, const std::string& name, const std::string& xml) {
  const std::string path = dir.write(name, xml);
  const auto r = test::run_command({testing::xmllint(), "--noout", "--schema", schema_path(), path});
  if (r.exit_code == 0) return "";
  return "exit " + std::to_string(r.exit_code) + ": " + r.err;
}

// The string value of an XPath expression over `xml`, as a JUnit reader would decode it.
std::string xpath(const test::scratch_dir& dir, const std::string& xml, const std::string& expr) {
  const std::string path = dir.write("xpath.xml", xml);
  const auto r = test::run_command({testing::xmllint(), "--xpath", expr, path});
  EXPECT_EQ(r.exit_code, 0) << expr << ": " << r.err;
  std::string value = r.out;
  if (!value.empty() && value.back() == '\n') value.pop_back(); // xmllint ends its output with a newline
  return value;
}

std::vector<test_case> small_suite() {
  return {
      {"checkout", "lemu.replay.captured", 0.0012, result::passed, "", ""},
      {"captured.jsonl:2", "lemu.replay.captured", 0.25, result::failed, "response differs at $.body.total",
       "--- expected\n+++ actual\n@@ $.body.total @@\n-  \"total\": 42\n+  \"total\": 41 & <more>\n"},
      {"captured.jsonl#2", "lemu.replay.captured", 3.002, result::error, "Sandbox.Timedout",
       R"({"errorType":"Sandbox.Timedout","errorMessage":"RequestId: 1 Error: Task timed out after 3.00 seconds"})"},
  };
}

// Every awkward thing at once: markup characters, quotes, unicode, control bytes, ANSI colors, invalid UTF-8.
const std::string hostile = std::string("<tag attr=\"x\" other='y'> & ]]> \u00e9\u4e2d\U0001F600 ") + '\0' + "\x01\x07\x08\x0b\x0c\x1f\x7f" +
                            " \x1b[31mred\x1b[0m \x1b]0;title\x07 bad:\xff\xc3\x28 surrogate:\xed\xa0\x80 tab\there\r\nend";

TEST(junit, matches_the_golden_file) {
  const std::string xml = render_junit("lemu replay captured", small_suite(), "2026-11-27T00:45:00.123Z", "ci-runner-7");
  EXPECT_EQ(xml, test::read_file(std::string(test::test_data_dir) + "/junit/small.xml"));
  test::scratch_dir dir;
  EXPECT_EQ(schema_errors(dir, "small.xml", xml), "");
}

TEST(junit, the_schema_check_rejects_what_readers_would) {
  // The harness itself: documents that break the schema are caught (so "valid" above means something).
  test::scratch_dir dir;
  std::string xml = render_junit("s", small_suite(), "2026-11-27T00:45:00", "h");
  std::string no_properties = xml;
  no_properties.erase(no_properties.find("  <properties/>\n"), 16);
  EXPECT_NE(schema_errors(dir, "no-properties.xml", no_properties), "");
  std::string zoned = xml;
  zoned.replace(zoned.find("00:45:00\""), 9, "00:45:00Z\"");
  EXPECT_NE(schema_errors(dir, "zoned.xml", zoned), "");
  std::string control = xml;
  control.replace(control.find("checkout"), 8, "check\x01out");
  EXPECT_NE(schema_errors(dir, "control.xml", control), "");
}

TEST(junit, structure_through_xpath) {
  test::scratch_dir dir;
  const std::string xml = render_junit("suite", small_suite(), "2026-11-27T00:45:00", "host");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite)"), "1");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite/testcase)"), "3");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite/testcase/failure)"), "1");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite/testcase/error)"), "1");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite/testcase[1]/*)"), "0");
  EXPECT_EQ(xpath(dir, xml, "name(/testsuite/*[1])"), "properties");
  EXPECT_EQ(xpath(dir, xml, "name(/testsuite/*[last()-1])"), "system-out");
  EXPECT_EQ(xpath(dir, xml, "name(/testsuite/*[last()])"), "system-err");
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/@tests)"), "3");
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/@failures)"), "1");
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/@errors)"), "1");
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[2]/failure/@type)"), "mismatch");
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[3]/error/@type)"), "Sandbox.Timedout");
  // The diff comes back byte for byte.
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[2]/failure)"), small_suite()[1].details);
}

TEST(junit, empty_suite_is_valid) {
  test::scratch_dir dir;
  const std::string xml = render_junit("lemu run", {}, "2026-11-27T00:45:00", "localhost");
  EXPECT_NE(xml.find("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\""), std::string::npos);
  EXPECT_EQ(schema_errors(dir, "empty.xml", xml), "");
}

TEST(junit, only_passes_is_valid) {
  test::scratch_dir dir;
  std::vector<test_case> cases;
  for (int i = 0; i < 50; ++i) {
    cases.push_back({"events/sqs.jsonl:" + std::to_string(i + 1), "lemu.replay.sqs", 0.001 * i, result::passed, "", ""});
  }
  const std::string xml = render_junit("lemu.replay.sqs", cases, "2026-01-02T03:04:05", "box");
  EXPECT_EQ(schema_errors(dir, "passes.xml", xml), "");
  EXPECT_NE(xml.find("time=\"1.225\""), std::string::npos); // 0.001 * (0 + ... + 49)
}

TEST(junit, hostile_text_everywhere_is_valid_and_readable) {
  test::scratch_dir dir;
  const std::vector<test_case> cases{
      {hostile, hostile, 0.5, result::failed, hostile, hostile},
      {hostile, "lemu.replay.x", 0.5, result::error, hostile, hostile},
      {"ok " + hostile, "lemu.replay.x", 0.5, result::passed, hostile, hostile},
  };
  const std::string xml = render_junit(hostile, cases, "2026-11-27T00:45:00", hostile);
  EXPECT_EQ(schema_errors(dir, "hostile.xml", xml), "");

  // No byte that XML 1.0 forbids, no ANSI escape, the markup escaped.
  for (const char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 || c == '\n' || c == '\t') << "control byte " << static_cast<int>(u);
  }
  EXPECT_EQ(xml.find("\x1b"), std::string::npos);
  EXPECT_EQ(xml.find("<tag"), std::string::npos);
  EXPECT_EQ(xml.find("]]>"), std::string::npos);
  EXPECT_NE(xml.find("&lt;tag attr=\"x\" other='y'&gt; &amp; ]]&gt;"), std::string::npos); // in text content
  EXPECT_NE(xml.find("&lt;tag attr=&quot;x&quot;"), std::string::npos);                      // in attributes

  // Readers get the text back: colors gone, control characters as visible pictures, unicode intact.
  const std::string details = xpath(dir, xml, "string(/testsuite/testcase[1]/failure)");
  EXPECT_EQ(details, clean_text(hostile));
  EXPECT_NE(details.find(" red "), std::string::npos);
  EXPECT_NE(details.find("\u2400\u2401\u2407\u2408\u240b\u240c\u241f\u2421"), std::string::npos);
  EXPECT_NE(details.find("\u00e9\u4e2d\U0001F600"), std::string::npos);
  EXPECT_NE(details.find("bad:\ufffd\ufffd( surrogate:\ufffd\ufffd\ufffd"), std::string::npos);
  EXPECT_NE(details.find("tab\there\r\nend"), std::string::npos); // tab, CR and LF survive
  // Attributes keep their line breaks and tabs (as character references).
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[1]/failure/@message)"), clean_text(hostile));
  // Names are tokens: whitespace collapsed.
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[2]/@name)"), clean_token(hostile));
  EXPECT_EQ(xpath(dir, xml, "string(/testsuite/testcase[2]/error/@type)"), "InvocationError");
  EXPECT_EQ(xpath(dir, xml, "count(/testsuite/testcase[3]/*)"), "0"); // a pass carries no message or details
}

TEST(junit, hundred_kilobyte_diff) {
  test::scratch_dir dir;
  std::string diff;
  for (int i = 0; diff.size() < 100 * 1024; ++i) {
    diff += "\x1b[31m-  \"item" + std::to_string(i) + "\": \"<old> & 'value'\"\x1b[0m\n";
    diff += "\x1b[32m+  \"item" + std::to_string(i) + "\": \"<new> & \u00fcnic\u00f8de\"\x1b[0m\n";
  }
  const std::vector<test_case> cases{
      {"big", "lemu.replay.big", 1.0, result::failed, "response differs at $.items", diff},
      {"after", "lemu.replay.big", 1.0, result::passed, "", ""},
  };
  const std::string xml = render_junit("big", cases, "2026-11-27T00:45:00", "host");
  EXPECT_GT(xml.size(), 100u * 1024);
  EXPECT_EQ(schema_errors(dir, "big.xml", xml), "");
  const std::string back = xpath(dir, xml, "string(/testsuite/testcase[1]/failure)");
  EXPECT_EQ(back, clean_text(diff));
  EXPECT_EQ(back.find('\x1b'), std::string::npos);
  EXPECT_EQ(back.substr(0, 22), "-  \"item0\": \"<old> & '");
}

TEST(junit, fallbacks_keep_the_document_valid) {
  test::scratch_dir dir;
  const std::vector<test_case> cases{
      {"", "", -1.0, result::error, "", ""},
      {" \n\t ", " ", std::nan(""), result::failed, "", ""},
      {"x", "y", 1e300, result::passed, "", ""},
  };
  for (const std::string ts : {"", "garbage", "2026-13-01T00:00:00", "2026-02-29T00:00:00", "2026-11-27 00:45:00",
                               "0000-01-01T00:00:00", "2026-11-27T24:00:00"}) {
    const std::string xml = render_junit(" ", cases, ts, "");
    EXPECT_NE(xml.find("timestamp=\"1970-01-01T00:00:00\""), std::string::npos) << ts;
    EXPECT_NE(xml.find("<testsuite name=\"lemu\""), std::string::npos);
    EXPECT_NE(xml.find("hostname=\"localhost\""), std::string::npos);
    EXPECT_NE(xml.find("<testcase name=\"(unnamed)\" classname=\"\" time=\"0.000\">"), std::string::npos);
    EXPECT_EQ(schema_errors(dir, "fallback.xml", xml), "") << ts;
  }
  // A valid leap day and zone / fraction suffixes are kept (cut to 19 characters).
  for (const std::string ts : {"2028-02-29T23:59:59", "2028-02-29T23:59:59Z", "2028-02-29T23:59:59.999+02:00"}) {
    const std::string xml = render_junit("s", cases, ts, "h");
    EXPECT_NE(xml.find("timestamp=\"2028-02-29T23:59:59\""), std::string::npos) << ts;
    EXPECT_EQ(schema_errors(dir, "leap.xml", xml), "") << ts;
  }
}

TEST(junit, error_types) {
  test_case c{"n", "c", 0, result::error, "Sandbox.Timedout", ""};
  EXPECT_EQ(junit_type(c), "Sandbox.Timedout");
  c.message = "Runtime.ExitError: exit status 1";
  EXPECT_EQ(junit_type(c), "Runtime.ExitError");
  c.message = "Runtime.ExitError exit status 1";
  EXPECT_EQ(junit_type(c), "Runtime.ExitError");
  c.message = "invocation failed (crash)";
  EXPECT_EQ(junit_type(c), "InvocationError");
  c.message = "Unhandled";
  EXPECT_EQ(junit_type(c), "Unhandled");
  c.message = "(crash)";
  EXPECT_EQ(junit_type(c), "InvocationError");
  c.message = "";
  EXPECT_EQ(junit_type(c), "InvocationError");
  c.status = result::failed;
  EXPECT_EQ(junit_type(c), "mismatch");
  c.status = result::passed;
  EXPECT_EQ(junit_type(c), "");
  EXPECT_STREQ(to_string(result::passed), "passed");
  EXPECT_STREQ(to_string(result::failed), "failed");
  EXPECT_STREQ(to_string(result::error), "error");
}

} // namespace
} // namespace lemu::report
