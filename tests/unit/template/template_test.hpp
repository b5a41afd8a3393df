#pragma once
// Helpers of the template unit tests: a template written to a fresh folder and loaded.
#include <lemu/template/template.hpp>

#include <lemu_test_paths.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace lemu::templates::test {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(lemu::test::test_data_dir) / "templates" / name;
}

// A folder of its own for each test, removed at the end.
class scratch {
public:
  scratch() {
    static std::atomic<int> counter{0};
    m_dir = std::filesystem::temp_directory_path() /
            ("lemu-template-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(m_dir);
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  const std::filesystem::path& dir() const { return m_dir; }

private:
  std::filesystem::path m_dir;
};

// The template text loaded from DIR/template.yaml.
inline stack load_text(const scratch& s, const std::string& text, const load_options& options = {}) {
  return load(s.write("template.yaml", text), options);
}

// The message of the template_error `f` throws ("" when it throws none).
template <typename F> std::string error_of(F&& f) {
  try {
    f();
  } catch (const template_error& e) {
    return e.what();
  }
  return "";
}

inline std::string env(const function& fn, const std::string& name) {
  for (const auto& [k, v] : fn.environment)
    if (k == name) return v;
  return "<unset>";
}

// One function whose Environment.Variables are `variables` (YAML lines indented by 10).
inline std::string with_variables(const std::string& variables, const std::string& before = "") {
  return before + "Resources:\n"
                  "  Fn:\n"
                  "    Type: AWS::Serverless::Function\n"
                  "    Properties:\n"
                  "      Environment:\n"
                  "        Variables:\n" +
         variables;
}

inline bool has_warning(const stack& s, const std::string& line) {
  for (const auto& w : s.warnings)
    if (w == line) return true;
  return false;
}

} // namespace lemu::templates::test
