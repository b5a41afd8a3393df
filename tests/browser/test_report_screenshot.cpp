// The HTML report in a real browser: headless Chromium (Debian's, installed by scripts/setup.sh) renders
// the page lemu wrote and takes a screenshot. The screenshot is kept in the build tree
// (tests/browser-report.png) for a person to look at.

#include "integration/cli_fixture.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace lemu::test;

TEST(Browser, HtmlReportRendersInHeadlessChromium) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "chromium is not installed: run scripts/setup.sh";
  scratch_dir dir;
  const std::string html = dir.path() + "/report.html";
  std::string events;
  for (int i = 0; i < 60; ++i) {
    events += i % 17 == 5 ? "{\"fake\":\"crash\"}\n" : i % 13 == 7 ? "{\"fake\":\"error\"}\n"
                                                                 : "{\"fake\":\"sleep:" + std::to_string(5 + (i * 7) % 40) + "\"}\n";
  }
  const auto r = fake_run("by-event", {"--event", "-", "--concurrency", "3", "--html", html}, with_stdin(events));
  ASSERT_TRUE(std::filesystem::exists(html)) << r.err;

  const std::string png = std::string(build_dir) + "/tests/browser-report.png";
  std::filesystem::remove(png);
  command_options o;
  o.deadline = std::chrono::seconds(90);
  const auto shot = run_command({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                 "--disable-sync", "--user-data-dir=" + dir.path() + "/chromium-profile",
                                 "--screenshot=" + png, "--window-size=1280,1800", "file://" + html},
                                o);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  const std::string bytes = read_file(png);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(bytes.size(), 20000u) << "a rendered page, not a blank one";
}
