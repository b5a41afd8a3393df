// watch: file_watcher over real folders and a real io_context (50 ms debounce). Nothing sleeps: the loop
// runs until a condition holds or a deadline passes; "no callback" is the loop run for three debounces.
#include <lemu/watch/file_watcher.hpp>

#include <boost/asio/io_context.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace lemu::watch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::milliseconds debounce = 50ms;

class file_watcher_test : public ::testing::Test {
protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    root = (fs::absolute(fs::temp_directory_path()) /
            ("lemu-watch-" + std::to_string(::getpid()) + "-" + test->name()))
               .lexically_normal();
    fs::remove_all(root);
    fs::create_directories(root);
  }
  void TearDown() override {
    watcher.reset();
    std::error_code ec;
    fs::remove_all(root, ec);
    if (!outside.empty()) fs::remove_all(outside, ec);
  }

  file_watcher& make(watcher_options options = {.debounce = debounce}) {
    watcher = std::make_unique<file_watcher>(ioc.get_executor(), std::move(options));
    return *watcher;
  }
  void start() {
    watcher->start([this](const change& c) { changes.push_back(c); });
  }

  static void write(const fs::path& path, const std::string& content = "x") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }

  // Runs the loop until `condition` holds or `timeout` passes.
  bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      if (ioc.stopped()) ioc.restart();
      if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) break; // no work left: nothing can happen
    }
    return condition();
  }
  // Runs the loop for `d` (handlers run meanwhile).
  void run_for(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }
  // No callback while the loop runs for three debounces.
  bool quiet() {
    const auto before = changes.size();
    run_for(debounce * 3);
    return changes.size() == before;
  }

  fs::path root, outside;
  boost::asio::io_context ioc;
  std::unique_ptr<file_watcher> watcher;
  std::vector<change> changes;
};

TEST_F(file_watcher_test, one_write_is_one_callback_after_the_debounce) {
  make().add_tree(root);
  start();
  write(root / "a.txt");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_TRUE(quiet()) << "one callback";
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "a.txt"));
  EXPECT_GE(changes[0].settled - changes[0].first_event, debounce);
}

TEST_F(file_watcher_test, a_burst_of_writes_to_several_files_is_one_callback_with_every_path_sorted_once) {
  make().add_tree(root);
  start();
  write(root / "c.txt");
  run_for(debounce / 4);
  write(root / "a.txt");
  write(root / "c.txt", "again");
  run_for(debounce / 4);
  write(root / "b.txt");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_TRUE(quiet());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "a.txt", root / "b.txt", root / "c.txt"));
}

TEST_F(file_watcher_test, a_write_then_rename_as_linkers_do_is_one_callback_naming_the_file) {
  write(root / "bootstrap", "old");
  make().add_tree(root);
  start();
  write(root / "bootstrap.tmp", std::string(100000, 'x'));
  fs::rename(root / "bootstrap.tmp", root / "bootstrap");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_TRUE(quiet());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(changes[0].paths, Contains(root / "bootstrap"));
}

TEST_F(file_watcher_test, chmod_is_a_change_and_a_read_is_not) {
  write(root / "bootstrap");
  make().add_tree(root);
  start();
  { std::ifstream in(root / "bootstrap"); std::string s; in >> s; }
  EXPECT_TRUE(quiet()) << "opening and reading is not a change";
  fs::permissions(root / "bootstrap", fs::perms::owner_exec, fs::perm_options::add);
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "bootstrap"));
}

TEST_F(file_watcher_test, a_folder_made_later_is_watched_and_what_is_already_in_it_counts) {
  fs::create_directory(root / "lib");
  make().add_tree(root);
  start();
  // Made and filled before the watcher has read a single event: the files are found by listing the folder.
  fs::create_directories(root / "new" / "deeper");
  write(root / "new" / "deeper" / "x.so");
  write(root / "lib" / "y.so");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, Contains(root / "new" / "deeper" / "x.so"));
  EXPECT_THAT(changes[0].paths, Contains(root / "lib" / "y.so"));
  // And watched from now on.
  write(root / "new" / "deeper" / "z.so");
  ASSERT_TRUE(run_until([&] { return changes.size() == 2; }));
  EXPECT_THAT(changes[1].paths, ElementsAre(root / "new" / "deeper" / "z.so"));
}

TEST_F(file_watcher_test, ignored_names_and_editor_droppings_are_no_change) {
  fs::create_directory(root / ".git");
  fs::create_directories(root / "target" / "debug");
  make({.debounce = debounce, .ignore_names = {".git", "node_modules", "target/debug"}}).add_tree(root);
  start();
  write(root / ".git" / "x");
  write(root / "target" / "debug" / "x");
  write(root / "foo.swp");
  write(root / "foo.swx");
  write(root / ".#foo");
  write(root / "foo~");
  write(root / "4913");
  fs::create_directory(root / "node_modules");
  write(root / "node_modules" / "x");
  EXPECT_TRUE(quiet());
  fs::create_directories(root / "node_modules" / "pkg");
  write(root / "node_modules" / "pkg" / "index.js");
  write(root / "target" / "y"); // "target" alone is not ignored
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "target" / "y"));
}

TEST_F(file_watcher_test, symlinked_folders_are_not_followed) {
  outside = root.string() + "-outside";
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, root / "link");
  make().add_tree(root);
  start();
  write(outside / "x");
  EXPECT_TRUE(quiet());
}

TEST_F(file_watcher_test, add_file_reports_only_that_file_even_when_renamed_over) {
  write(root / "template.yaml");
  make().add_file(root / "template.yaml");
  start();
  write(root / "other.txt");
  EXPECT_TRUE(quiet());
  write(root / "template.yaml.tmp", "Resources: {}");
  fs::rename(root / "template.yaml.tmp", root / "template.yaml");
  write(root / "other.txt", "again");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "template.yaml"));
}

TEST_F(file_watcher_test, add_file_in_a_watched_tree_leaves_the_tree_whole) {
  write(root / "template.yaml");
  make().add_file(root / "template.yaml");
  watcher->add_tree(root);
  start();
  write(root / "other.txt");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "other.txt"));
}

TEST_F(file_watcher_test, no_callback_after_stop_and_start_resumes) {
  make().add_tree(root);
  start();
  write(root / "a.txt");
  run_for(debounce / 5); // the event read: a burst in progress
  watcher->stop();
  write(root / "b.txt");
  EXPECT_TRUE(quiet());
  EXPECT_TRUE(changes.empty());
  start();
  write(root / "c.txt");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, Contains(root / "c.txt"));
  EXPECT_THAT(changes[0].paths, Not(Contains(root / "a.txt"))) << "the burst stop() dropped";
}

TEST_F(file_watcher_test, no_callback_once_destroyed) {
  make().add_tree(root);
  start();
  write(root / "a.txt");
  run_for(debounce / 5);
  watcher.reset();
  EXPECT_TRUE(quiet());
  EXPECT_TRUE(changes.empty());
}

TEST_F(file_watcher_test, clear_forgets_every_watch) {
  write(root / "template.yaml");
  make().add_tree(root);
  watcher->add_file(root / "template.yaml");
  start();
  watcher->clear();
  write(root / "a.txt");
  write(root / "template.yaml", "changed");
  EXPECT_TRUE(quiet());
  watcher->add_tree(root);
  write(root / "b.txt");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, ElementsAre(root / "b.txt"));
}

TEST_F(file_watcher_test, a_missing_folder_throws_naming_it) {
  make();
  try {
    watcher->add_tree(root / "missing");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr((root / "missing").string()));
    EXPECT_EQ(e.code().value(), ENOENT);
  }
  try {
    watcher->add_file(root / "missing" / "template.yaml");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr((root / "missing" / "template.yaml").string()));
  }
  write(root / "file");
  EXPECT_THROW(watcher->add_tree(root / "file"), std::system_error) << "not a folder";
}

TEST_F(file_watcher_test, no_inotify_instance_says_which_limit_to_raise) {
#if defined(LEMU_SANITIZED)
  // With every descriptor taken, UBSan's vptr check cannot read the type information it needs and reports a
  // false "invalid vptr" on std::error_category as the error is built: this case runs in the normal build.
  GTEST_SKIP() << "needs the process's descriptors exhausted, which the sanitizer runtime cannot bear";
#endif
  make(); // the io_context's reactor (epoll, eventfd) exists before descriptors run out
  // Out of descriptors (this process's limit lowered for the test), inotify_init1 fails with EMFILE.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct restore {
    rlimit limit;
    std::vector<int> held;
    ~restore() {
      for (const int fd : held) ::close(fd);
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
  } undo{saved, {}};
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  for (int fd; (fd = ::dup(0)) >= 0;) undo.held.push_back(fd);
  std::optional<std::system_error> caught;
  try {
    file_watcher w(ioc.get_executor());
  } catch (const std::system_error& e) {
    caught.emplace(e);
  }
  for (const int fd : undo.held) ::close(fd);
  undo.held.clear();
  ::setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(caught.has_value()) << "no exception";
  EXPECT_EQ(caught->code().value(), EMFILE);
  EXPECT_THAT(caught->what(), HasSubstr("raise fs.inotify.max_user_instances"));
}

TEST_F(file_watcher_test, writes_every_half_debounce_hold_the_callback_until_they_stop) {
  make().add_tree(root);
  start();
  std::ofstream out(root / "bootstrap", std::ios::binary); // kept open, as a linker does: IN_MODIFY only
  auto last = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration longest_gap{};
  std::size_t during = 0;
  for (int i = 0; i < 8; ++i) {
    out << std::string(4096, 'x') << std::flush;
    const auto now = std::chrono::steady_clock::now();
    if (i > 0) longest_gap = std::max(longest_gap, now - last);
    last = now;
    run_for(debounce / 2);
    during = changes.size();
  }
  out << "end" << std::flush;
  const auto last_write = std::chrono::steady_clock::now();
  if (longest_gap < debounce) {
    EXPECT_EQ(during, 0u) << "the callback came while writes continued";
  }
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_GE(changes.back().settled - last_write, debounce);
  EXPECT_GE(changes.back().settled - changes.back().first_event, debounce * 4);
  EXPECT_THAT(changes.back().paths, ElementsAre(root / "bootstrap"));
}

TEST_F(file_watcher_test, a_tree_beyond_the_folder_bound_throws_and_stays_unwatched) {
  for (int i = 0; i < 4; ++i) fs::create_directories(root / ("d" + std::to_string(i)));
  make({.debounce = debounce, .max_folders_per_tree = 3});
  try {
    watcher->add_tree(root);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("more than 3 folders"));
    EXPECT_THAT(e.what(), HasSubstr(root.string()));
  }
  start();
  write(root / "a.txt");
  write(root / "d0" / "a.txt");
  EXPECT_TRUE(quiet());
}

TEST_F(file_watcher_test, a_burst_keeps_at_most_max_paths_per_burst) {
  make({.debounce = debounce, .max_paths_per_burst = 5}).add_tree(root);
  start();
  for (int i = 0; i < 10; ++i) write(root / ("f" + std::to_string(i)));
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_EQ(changes[0].paths.size(), 5u);
  EXPECT_THAT(changes[0].paths, Contains(root / "f0"));
}

TEST_F(file_watcher_test, an_overflowed_queue_reports_every_root) {
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  std::size_t limit = 0;
  limit_file >> limit;
  if (limit == 0 || limit > 20000) GTEST_SKIP() << "fs.inotify.max_queued_events is " << limit;
  write(root / "template.yaml");
  make({.debounce = debounce, .max_paths_per_burst = 1}).add_tree(root / "."); // the roots go beyond the bound
  watcher->add_file(root / "template.yaml");
  // Before start(), nothing reads the queue. A chmod is one IN_ATTRIB; two files in turn, so that no event
  // is merged with the one before it.
  write(root / "a");
  write(root / "b");
  for (std::size_t i = 0; i <= limit; ++i) ASSERT_EQ(::chmod((root / (i % 2 ? "a" : "b")).c_str(), 0644), 0);
  fs::create_directory(root / "lost"); // its IN_CREATE is beyond the overflow: found by walking the tree again
  start();
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, Contains(root));
  EXPECT_THAT(changes[0].paths, Contains(root / "template.yaml"));
  write(root / "lost" / "x");
  ASSERT_TRUE(run_until([&] { return changes.size() == 2; }));
  EXPECT_THAT(changes[1].paths, ElementsAre(root / "lost" / "x"));
}

TEST_F(file_watcher_test, a_folder_removed_and_made_again_is_watched_again_and_one_moved_out_is_forgotten) {
  fs::create_directories(root / "sub");
  make().add_tree(root);
  start();
  fs::remove_all(root / "sub");
  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_THAT(changes[0].paths, Contains(root / "sub"));
  fs::create_directory(root / "sub");
  ASSERT_TRUE(run_until([&] { return changes.size() == 2; }));
  write(root / "sub" / "x");
  ASSERT_TRUE(run_until([&] { return changes.size() == 3; }));
  EXPECT_THAT(changes[2].paths, ElementsAre(root / "sub" / "x"));

  outside = root.string() + "-outside";
  fs::rename(root / "sub", outside);
  ASSERT_TRUE(run_until([&] { return changes.size() == 4; }));
  EXPECT_THAT(changes[3].paths, Contains(root / "sub"));
  write(outside / "y");
  EXPECT_TRUE(quiet()) << "a folder moved out of the tree is no longer watched";
}

TEST_F(file_watcher_test, the_callback_may_throw_or_destroy_the_watcher) {
  make().add_tree(root);
  int calls = 0;
  watcher->start([&](const change&) {
    if (++calls == 1) throw std::runtime_error("the caller's bug");
    watcher.reset();
  });
  write(root / "a.txt");
  ASSERT_TRUE(run_until([&] { return calls == 1; }));
  write(root / "b.txt");
  ASSERT_TRUE(run_until([&] { return calls == 2; })) << "still watching after the exception";
  EXPECT_EQ(watcher, nullptr);
  write(root / "c.txt");
  EXPECT_TRUE(quiet());
  EXPECT_EQ(calls, 2);
}

} // namespace
} // namespace lemu::watch
