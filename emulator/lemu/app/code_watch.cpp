#include <lemu/app/code_watch.hpp>

#include <lemu/process/child.hpp>
#include <lemu/util/text.hpp>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

extern char** environ;

namespace lemu::app {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

namespace {

watch::watcher_options code_options(std::chrono::milliseconds debounce) {
  watch::watcher_options o;
  o.debounce = debounce;
  return o;
}

watch::watcher_options source_options(std::chrono::milliseconds debounce) {
  watch::watcher_options o = code_options(debounce);
  // What builds write, and what no build reads.
  for (const char* name : {"target", ".aws-sam", "build", "dist", "zig-out", "__pycache__"}) o.ignore_names.emplace_back(name);
  return o;
}

std::string ms_text(clock::duration d) {
  return util::fixed2(std::chrono::duration<double, std::milli>(d).count()) + " ms";
}

} // namespace

std::vector<fs::path> code_trees(const std::vector<const core::function_config*>& functions) {
  std::vector<fs::path> trees;
  for (const auto* fn : functions) {
    trees.push_back(fn->task_root());
    if (fn->bootstrap.parent_path() != fn->task_root()) trees.push_back(fn->bootstrap.parent_path());
    for (const auto& l : fn->layers) trees.push_back(l);
  }
  std::sort(trees.begin(), trees.end());
  trees.erase(std::unique(trees.begin(), trees.end()), trees.end());
  return trees;
}

std::string describe(const code_change& c) {
  if (c.paths.empty()) return "the code";
  std::error_code ec;
  const auto shown = std::find_if(c.paths.begin(), c.paths.end(), [&](const fs::path& p) { return fs::exists(p, ec); });
  const fs::path& first = shown == c.paths.end() ? c.paths.front() : *shown;
  return first.string() + (c.paths.size() > 1 ? " and " + std::to_string(c.paths.size() - 1) + " more" : std::string());
}

code_watch::code_watch(boost::asio::any_io_executor ex, output& out, watch_settings settings)
    : m_ex(ex), m_out(out), m_settings(std::move(settings)), m_code(ex, code_options(m_settings.debounce)) {
  if (!m_settings.build_command.empty()) {
    m_sources = std::make_unique<watch::file_watcher>(ex, source_options(m_settings.debounce));
    m_sources->add_tree(m_settings.project_root);
  }
}

code_watch::~code_watch() { stop(); }

void code_watch::watch_code(const std::vector<fs::path>& trees, const fs::path& template_file) {
  m_code.clear();
  for (const auto& t : trees) m_code.add_tree(t);
  m_template = template_file.empty() ? fs::path() : fs::absolute(template_file).lexically_normal();
  if (!m_template.empty()) m_code.add_file(m_template);
}

void code_watch::start(std::function<void(const code_change&)> on_change) {
  m_on_change = std::move(on_change);
  m_code.start([this](const watch::change& c) { on_code(c); });
  if (m_sources) m_sources->start([this](const watch::change& c) { on_sources(c); });
}

void code_watch::stop() {
  if (m_stopped) return;
  m_stopped = true;
  m_code.stop();
  if (m_sources) m_sources->stop();
  if (m_build) {
    m_build->on_exit(nullptr);
    m_build->kill();
    m_build.reset();
  }
}

void code_watch::on_code(const watch::change& c) {
  code_change change;
  change.paths = c.paths;
  change.settled = c.settled;
  change.template_changed =
      !m_template.empty() && std::find(c.paths.begin(), c.paths.end(), m_template) != c.paths.end();
  if (m_build) { // the build is still writing: hold it until the build says whether it worked
    if (!m_held) {
      m_held = std::move(change);
    } else {
      m_held->paths.insert(m_held->paths.end(), change.paths.begin(), change.paths.end());
      m_held->template_changed = m_held->template_changed || change.template_changed;
      m_held->settled = change.settled;
    }
    return;
  }
  if (m_on_change) m_on_change(change);
}

void code_watch::on_sources(const watch::change& c) {
  if (m_build) {
    m_build_again = true;
    return;
  }
  code_change sources;
  sources.paths = c.paths;
  m_out.log_line("lemu: watch: " + describe(sources) + " changed: building: " + m_settings.build_command);
  run_build();
}

void code_watch::run_build() {
  process::spawn_request req;
  req.executable = "/bin/sh";
  req.working_directory = m_settings.project_root;
  req.args = {"-c", m_settings.build_command};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) req.envp.emplace_back(*e);
  req.memory_limit_bytes = std::uint64_t{1} << 40; // the user's build: no Lambda limit
  m_build_started = clock::now();
  try {
    m_build = process::child::spawn(m_ex, req, [this](process::stream, std::string_view line) {
      m_out.log_line("build: " + std::string(line));
    });
  } catch (const std::exception& e) {
    m_out.log_line(std::string("lemu: watch: the build cannot start: ") + e.what());
    return;
  }
  // Posted: the child is not destroyed from inside its own exit callback.
  m_build->on_exit([this](core::process_exit e) {
    const int status = e.signaled ? 128 + e.signal : e.code;
    boost::asio::post(m_ex, [this, status] { build_done(status); });
  });
}

void code_watch::build_done(int status) {
  if (m_stopped) return;
  m_build.reset();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - m_build_started);
  std::optional<code_change> held = std::move(m_held);
  m_held.reset();
  if (status != 0) {
    m_out.log_line("lemu: watch: the build failed (exit status " + std::to_string(status) + ", " + ms_text(took) +
                   "): the running code keeps serving");
  } else {
    m_out.log_line("lemu: watch: built in " + ms_text(took));
    if (held && m_on_change) {
      held->build_time = took;
      m_on_change(*held);
    }
  }
  if (m_build_again) {
    m_build_again = false;
    m_out.log_line("lemu: watch: sources changed during the build: building again");
    run_build();
  }
}

} // namespace lemu::app
