// Event input: .json / .jsonl / directories / stdin, validation errors with file:line:column, streaming reads.
#include <lemu/events/source.hpp>

#include <lemu_test_paths.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lemu::events {
namespace {

namespace fs = std::filesystem;

std::string data(const std::string& name) { return (fs::path(test::test_data_dir) / "events" / name).string(); }

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<event> read_events(const event_plan& plan) {
  event_reader reader(plan);
  std::vector<event> out;
  while (auto e = reader.next()) out.push_back(std::move(*e));
  return out;
}

std::string prepare_error(const std::vector<std::string>& specs) {
  try {
    event_plan::prepare(specs);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

// A fresh directory per test; kept (and named on stderr) when the test fails.
class scratch_dir {
public:
  scratch_dir() {
    std::string pattern = (fs::temp_directory_path() / "lemu-unit-events-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
  }
  ~scratch_dir() {
    if (::testing::Test::HasFailure()) {
      std::cerr << "Test data has been left in " << m_path << "\n";
      return;
    }
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::string path(const std::string& name = "") const { return name.empty() ? m_path.string() : (m_path / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path(name);
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p;
  }

private:
  fs::path m_path;
};

// Replaces fd 0 for the lifetime of the object; takes ownership of `fd`.
class stdin_from {
public:
  explicit stdin_from(int fd) : m_saved(::dup(STDIN_FILENO)) {
    ::dup2(fd, STDIN_FILENO);
    ::close(fd);
  }
  ~stdin_from() {
    if (m_saved >= 0) {
      ::dup2(m_saved, STDIN_FILENO);
      ::close(m_saved);
    } else {
      ::close(STDIN_FILENO);
    }
  }
  stdin_from(const stdin_from&) = delete;
  stdin_from& operator=(const stdin_from&) = delete;

private:
  int m_saved;
};

// The read end of a pipe already holding `content` (which must fit the pipe buffer, 64 KiB) and closed for writing.
int pipe_with(const std::string& content) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fds[1], content.data() + done, content.size() - done);
    if (n <= 0) throw std::runtime_error("write to pipe failed");
    done += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  return fds[0];
}

// --- whole-file documents ---------------------------------------------------------------------------------

TEST(event_plan, json_file_is_one_event_with_the_whole_file_verbatim) {
  const std::string path = data("single.json");
  const auto plan = event_plan::prepare({path});
  ASSERT_EQ(plan.files().size(), 1u);
  EXPECT_EQ(plan.files()[0].display_name, path);
  EXPECT_EQ(plan.files()[0].path, path);
  EXPECT_EQ(plan.files()[0].format, file_format::document);
  EXPECT_EQ(plan.files()[0].events, 1u);
  EXPECT_EQ(plan.total_events(), 1u);

  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, file_bytes(path)); // pretty-printing and the final newline kept
  EXPECT_EQ(events[0].source, path);
  EXPECT_EQ(events[0].line, 0u);
}

TEST(event_plan, any_other_extension_is_one_document) {
  const std::string path = data("other-extension.txt");
  const auto plan = event_plan::prepare({path});
  EXPECT_EQ(plan.files().at(0).format, file_format::document);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "[1, 2, 3]\n");
}

// --- JSON Lines -------------------------------------------------------------------------------------------

TEST(event_plan, json_lines_skip_blank_lines_and_strip_crlf) {
  const std::string path = data("lines.jsonl");
  const auto plan = event_plan::prepare({path});
  ASSERT_EQ(plan.files().size(), 1u);
  EXPECT_EQ(plan.files()[0].format, file_format::lines);
  EXPECT_EQ(plan.total_events(), 4u);

  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].payload, R"({"id":1})");
  EXPECT_EQ(events[0].line, 1u);
  EXPECT_EQ(events[1].payload, R"({"id":2,"text":"crlf"})");
  EXPECT_EQ(events[1].line, 4u);
  EXPECT_EQ(events[2].payload, R"({"id":3})");
  EXPECT_EQ(events[2].line, 5u);
  EXPECT_EQ(events[3].payload, R"({"id":4})"); // last line has no newline
  EXPECT_EQ(events[3].line, 7u);
  for (const auto& e : events) EXPECT_EQ(e.source, path);
}

TEST(event_plan, ndjson_is_json_lines) {
  scratch_dir dir;
  const std::string path = dir.write("x.ndjson", "1\n\"two\"\n[3]\n");
  const auto events = read_events(event_plan::prepare({path}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].payload, "\"two\"");
  EXPECT_EQ(events[2].line, 3u);
}

TEST(event_plan, a_line_longer_than_the_read_buffer) {
  scratch_dir dir;
  const std::string big = "{\"body\":\"" + std::string(3u << 20, 'x') + "\"}";
  const std::string path = dir.write("big.jsonl", "{}\n" + big + "\r\n{}\n");
  const auto plan = event_plan::prepare({path});
  EXPECT_EQ(plan.total_events(), 3u);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].payload, big);
}

TEST(event_plan, many_lines_stream) {
  scratch_dir dir;
  const std::string path = dir.path("many.jsonl");
  constexpr std::size_t count = 200'000;
  {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < count; ++i) out << R"({"i":)" << i << R"(,"body":"hello"})" << '\n';
  }
  const auto plan = event_plan::prepare({path});
  EXPECT_EQ(plan.total_events(), count);
  event_reader reader(plan);
  std::size_t n = 0;
  while (auto e = reader.next()) {
    ++n;
    if (n == count) {
      EXPECT_EQ(e->payload, R"({"i":199999,"body":"hello"})");
      EXPECT_EQ(e->line, count);
    }
  }
  EXPECT_EQ(n, count);
}

// --- directories ------------------------------------------------------------------------------------------

TEST(event_plan, directory_lists_event_files_in_byte_order_not_recursively) {
  const std::string dir = data("dir");
  const auto plan = event_plan::prepare({dir});
  ASSERT_EQ(plan.files().size(), 4u); // not notes.txt, .hidden.json, nor sub/nested.json
  EXPECT_EQ(plan.files()[0].display_name, dir + "/Z.json"); // 'Z' < 'a' in byte order
  EXPECT_EQ(plan.files()[1].display_name, dir + "/a.jsonl");
  EXPECT_EQ(plan.files()[2].display_name, dir + "/b.json");
  EXPECT_EQ(plan.files()[3].display_name, dir + "/c.ndjson");
  EXPECT_EQ(plan.files()[0].format, file_format::document);
  EXPECT_EQ(plan.files()[1].format, file_format::lines);
  EXPECT_EQ(plan.files()[2].format, file_format::document);
  EXPECT_EQ(plan.files()[3].format, file_format::lines);
  EXPECT_EQ(plan.total_events(), 6u);

  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 6u);
  const std::vector<std::string> payloads{"{\"name\":\"Z\"}\n", R"({"name":"a1"})", R"({"name":"a2"})",
                                          R"({"name":"b"})",    R"({"name":"c1"})", R"({"name":"c2"})"};
  const std::vector<std::size_t> lines{0, 1, 2, 0, 1, 3};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].payload, payloads[i]) << i;
    EXPECT_EQ(events[i].line, lines[i]) << i;
  }
  EXPECT_EQ(events[5].source, dir + "/c.ndjson");
}

TEST(event_plan, directory_with_a_trailing_slash_names_files_without_a_double_slash) {
  const std::string dir = data("dir") + "/";
  const auto plan = event_plan::prepare({dir});
  ASSERT_FALSE(plan.files().empty());
  EXPECT_EQ(plan.files()[0].display_name, dir + "Z.json");
}

TEST(event_plan, empty_directory_is_an_error_naming_it) {
  scratch_dir dir;
  EXPECT_EQ(prepare_error({dir.path()}), dir.path() + ": no .json, .jsonl or .ndjson files in this directory");
  const std::string nojson = data("nojson");
  EXPECT_EQ(prepare_error({nojson}), nojson + ": no .json, .jsonl or .ndjson files in this directory");
}

// --- several specs, repeats -------------------------------------------------------------------------------

TEST(event_plan, specs_are_read_in_the_order_given) {
  const auto plan = event_plan::prepare({data("lines.jsonl"), data("single.json"), data("lines.jsonl")});
  EXPECT_EQ(plan.files().size(), 3u);
  EXPECT_EQ(plan.total_events(), 9u);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[3].line, 7u);
  EXPECT_EQ(events[4].source, data("single.json"));
  EXPECT_EQ(events[5].payload, R"({"id":1})");
}

TEST(event_reader, rewind_starts_over) {
  const auto plan = event_plan::prepare({data("lines.jsonl"), data("single.json")});
  event_reader reader(plan);
  std::vector<event> first;
  while (auto e = reader.next()) first.push_back(*e);
  EXPECT_FALSE(reader.next().has_value()); // stays at the end
  reader.rewind();
  std::vector<event> second;
  while (auto e = reader.next()) second.push_back(*e);
  ASSERT_EQ(first.size(), 5u);
  ASSERT_EQ(second.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(second[i].payload, first[i].payload);
    EXPECT_EQ(second[i].line, first[i].line);
  }
}

TEST(event_reader, rewind_in_the_middle_of_a_file) {
  const auto plan = event_plan::prepare({data("lines.jsonl")});
  event_reader reader(plan);
  ASSERT_TRUE(reader.next().has_value());
  ASSERT_TRUE(reader.next().has_value());
  reader.rewind();
  const auto e = reader.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->line, 1u);
  EXPECT_EQ(e->payload, R"({"id":1})");
}

TEST(event_reader, a_file_removed_after_validation_is_an_input_error) {
  scratch_dir dir;
  const std::string path = dir.write("gone.json", "{}");
  const auto plan = event_plan::prepare({path});
  fs::remove(path);
  event_reader reader(plan);
  try {
    reader.next();
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": no such file or directory");
  }
}

// --- malformed input --------------------------------------------------------------------------------------

TEST(event_plan, malformed_document_reports_line_and_column) {
  const std::string path = data("bad_document.json");
  EXPECT_EQ(prepare_error({path}),
            path + ":3:23: invalid JSON: syntax error while parsing object key - unexpected '}'; expected string literal");
}

TEST(event_plan, malformed_json_line_reports_its_line_and_column) {
  const std::string path = data("bad_lines.jsonl"); // CRLF endings, a blank line before the bad one
  EXPECT_EQ(prepare_error({path}), path + ":3:13: invalid JSON: syntax error while parsing value - unexpected '}'; "
                                          "expected '[', '{', or a literal");
}

TEST(event_plan, truncated_json_line_points_just_past_its_end) {
  const std::string path = data("truncated_lines.jsonl");
  EXPECT_EQ(prepare_error({path}),
            path + ":2:28: invalid JSON: syntax error while parsing array - unexpected end of input; expected ']'");
}

TEST(event_plan, newline_inside_a_string_points_at_the_end_of_its_line) {
  scratch_dir dir;
  const std::string path = dir.write("s.json", "{\"a\":\"x\ny\"}");
  EXPECT_EQ(prepare_error({path}), path + ":1:8: invalid JSON: syntax error while parsing value - invalid string: "
                                          "control character U+000A (LF) must be escaped to \\u000A or \\n; last read: "
                                          "'\"x<U+000A>'");
}

TEST(event_plan, two_documents_in_a_json_file_are_an_error) {
  scratch_dir dir;
  const std::string path = dir.write("two.json", "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(prepare_error({path}),
            path + ":2:1: invalid JSON: syntax error while parsing value - unexpected '{'; expected end of input");
}

TEST(event_plan, the_first_bad_file_in_order_is_reported) {
  scratch_dir dir;
  dir.write("d/1-good.json", "{}");
  dir.write("d/2-bad.jsonl", "{}\n[}\n");
  dir.write("d/3-bad.json", "nope");
  EXPECT_EQ(prepare_error({data("single.json"), dir.path("d")}),
            dir.path("d") + "/2-bad.jsonl:2:2: invalid JSON: syntax error while parsing value - unexpected '}'; "
                            "expected '[', '{', or a literal");
}

// --- missing, unreadable, empty ---------------------------------------------------------------------------

TEST(event_plan, missing_path) {
  const std::string path = data("does-not-exist.json");
  EXPECT_EQ(prepare_error({path}), path + ": no such file or directory");
  EXPECT_EQ(prepare_error({data("single.json"), path}), path + ": no such file or directory");
}

TEST(event_plan, unreadable_path) {
  // A path through a regular file fails with ENOTDIR, for root too.
  const std::string path = data("single.json") + "/x.json";
  EXPECT_EQ(prepare_error({path}), path + ": cannot read: Not a directory");
}

TEST(event_plan, unreadable_file_permissions) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  scratch_dir dir;
  const std::string path = dir.write("secret.json", "{}");
  ::chmod(path.c_str(), 0);
  EXPECT_EQ(prepare_error({path}), path + ": cannot read: Permission denied");
}

TEST(event_plan, no_events_at_all) {
  scratch_dir dir;
  const std::string empty_json = dir.write("empty.json", "");
  const std::string blank_json = dir.write("blank.json", " \n\t\n");
  const std::string blank_lines = data("blank.jsonl");
  EXPECT_EQ(prepare_error({blank_lines}), "no events in " + blank_lines);
  EXPECT_EQ(prepare_error({empty_json, blank_json}), "no events in " + empty_json + ", " + blank_json);
  EXPECT_EQ(prepare_error({}), "no events given");
}

TEST(event_plan, empty_files_next_to_others_are_skipped) {
  scratch_dir dir;
  const std::string empty_json = dir.write("empty.json", "");
  const auto plan = event_plan::prepare({empty_json, data("blank.jsonl"), data("other-extension.txt")});
  EXPECT_EQ(plan.total_events(), 1u);
  EXPECT_EQ(plan.files().at(0).events, 0u);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, data("other-extension.txt"));
}

// --- stdin ------------------------------------------------------------------------------------------------

TEST(event_plan_stdin, one_document) {
  const std::string doc = "{\n  \"a\": [1,\n 2]\n}\n";
  stdin_from in(pipe_with(doc));
  const auto plan = event_plan::prepare({"-"});
  ASSERT_EQ(plan.files().size(), 1u);
  EXPECT_EQ(plan.files()[0].display_name, "-");
  EXPECT_EQ(plan.files()[0].format, file_format::document);
  EXPECT_EQ(plan.files()[0].path.rfind("/proc/self/fd/", 0), 0u);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, doc);
  EXPECT_EQ(events[0].source, "-");
  EXPECT_EQ(events[0].line, 0u);
}

TEST(event_plan_stdin, json_lines) {
  stdin_from in(pipe_with("{\"n\":1}\n\n{\"n\":2}\r\n[3]"));
  const auto plan = event_plan::prepare({"-"});
  EXPECT_EQ(plan.files().at(0).format, file_format::lines);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].payload, R"({"n":1})");
  EXPECT_EQ(events[1].payload, R"({"n":2})");
  EXPECT_EQ(events[1].line, 3u);
  EXPECT_EQ(events[2].payload, "[3]");
  EXPECT_EQ(events[2].source, "-");
}

TEST(event_plan_stdin, redirected_from_a_file_and_rewound) {
  const std::string path = data("lines.jsonl");
  stdin_from in(::open(path.c_str(), O_RDONLY));
  const auto plan = event_plan::prepare({"-"});
  EXPECT_EQ(plan.total_events(), 4u);
  event_reader reader(plan);
  std::size_t n = 0;
  while (reader.next()) ++n;
  reader.rewind();
  while (reader.next()) ++n;
  EXPECT_EQ(n, 8u);
}

TEST(event_plan_stdin, given_twice_replays_the_same_copy) {
  stdin_from in(pipe_with("{\"n\":1}\n{\"n\":2}\n"));
  const auto plan = event_plan::prepare({"-", data("single.json"), "-"});
  EXPECT_EQ(plan.total_events(), 5u);
  const auto events = read_events(plan);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].payload, R"({"n":1})");
  EXPECT_EQ(events[4].line, 2u);
}

TEST(event_plan_stdin, spool_is_close_on_exec) {
  stdin_from in(pipe_with("{}"));
  const auto plan = event_plan::prepare({"-"});
  const std::string& path = plan.files().at(0).path;
  const int fd = std::atoi(path.substr(std::string("/proc/self/fd/").size()).c_str());
  const int flags = ::fcntl(fd, F_GETFD);
  ASSERT_GE(flags, 0);
  EXPECT_TRUE((flags & FD_CLOEXEC) != 0);
}

TEST(event_plan_stdin, malformed_document_reports_the_document_position) {
  stdin_from in(pipe_with("{\n  \"a\": 1,\n  \"b\": }\n"));
  EXPECT_EQ(prepare_error({"-"}),
            "-:3:8: invalid JSON: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal");
}

TEST(event_plan_stdin, malformed_json_lines_report_the_line) {
  stdin_from in(pipe_with("{\"n\":1}\n{\"n\":2}\n{\"n\":}\n"));
  EXPECT_EQ(prepare_error({"-"}),
            "-:3:6: invalid JSON: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal");
}

TEST(event_plan_stdin, empty) {
  stdin_from in(pipe_with(""));
  EXPECT_EQ(prepare_error({"-"}), "no events in -");
}

TEST(event_plan, named_pipe_is_read_once_and_replayed) {
  scratch_dir dir;
  const std::string path = dir.path("fifo.jsonl");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary); // blocks until prepare() opens the read end
    out << "{\"n\":1}\n{\"n\":2}\n";
  });
  const auto plan = event_plan::prepare({path});
  writer.join();
  EXPECT_EQ(plan.files().at(0).display_name, path);
  EXPECT_EQ(plan.total_events(), 2u);
  event_reader reader(plan);
  std::size_t n = 0;
  while (reader.next()) ++n;
  reader.rewind();
  while (auto e = reader.next()) {
    ++n;
    EXPECT_EQ(e->source, path);
  }
  EXPECT_EQ(n, 4u);
}

// --- the real fixtures ------------------------------------------------------------------------------------

TEST(event_plan, every_fixture_event_loads) {
  const fs::path root = fs::path(test::fixtures_dir) / "events";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  std::vector<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_GE(paths.size(), 50u);
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    try {
      const auto plan = event_plan::prepare({path});
      EXPECT_EQ(plan.total_events(), 1u);
      const auto events = read_events(plan);
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0].payload, file_bytes(path));
    } catch (const input_error& e) {
      ADD_FAILURE() << e.what();
    }
  }
  // All of them at once, as a list.
  const auto plan = event_plan::prepare(paths);
  EXPECT_EQ(plan.total_events(), paths.size());
}

} // namespace
} // namespace lemu::events
