// --env-vars files (SAM's format) and a function's environment with SAM's precedence (template.hpp).
#include <lemu/template/template.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <system_error>

namespace lemu::templates {
namespace {

// "LINE:COLUMN" (1-based) of the byte at 1-based `position` (nlohmann's parse_error::byte: the last byte read).
std::string line_column(const std::string& text, std::size_t position) {
  const auto at = util::position_of(text, position == 0 ? 0 : position - 1);
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string type_name(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return v.type_name();
}

std::map<std::string, std::string> variables(const std::string& file, const std::string& key, const nlohmann::json& v) {
  if (!v.is_object()) throw template_error(file + ": " + key + ": expected an object of variables, got " + type_name(v));
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : v.items()) {
    if (value.is_string()) {
      out[name] = value.get<std::string>();
    } else if (value.is_boolean()) {
      out[name] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number()) {
      out[name] = value.dump();
    } else {
      throw template_error(file + ": " + key + "." + name + ": expected a string, a number or a boolean, got " +
                           type_name(value));
    }
  }
  return out;
}

} // namespace

env_vars_file read_env_vars(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw template_error("--env-vars " + name + ": no such file");
  if (std::filesystem::is_directory(file, ec)) throw template_error("--env-vars " + name + ": cannot be read");
  std::ifstream in(file, std::ios::binary);
  std::string text(max_env_vars_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw template_error("--env-vars " + name + ": cannot be read");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_env_vars_bytes) {
    throw template_error("--env-vars " + name + ": over lemu's limit of " + std::to_string(max_env_vars_bytes) + " bytes");
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // what(): "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    std::string message = e.what();
    if (const auto colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
    throw template_error(name + ":" + line_column(text, e.byte) + ": " + message);
  }
  if (!json.is_object()) throw template_error(name + ": expected an object, got " + type_name(json));
  env_vars_file out;
  for (const auto& [key, value] : json.items()) {
    if (key == "Parameters") {
      out.all = variables(name, key, value);
    } else {
      out.per_function[key] = variables(name, key, value);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> resolve_environment(const function& fn, const env_vars_file* file,
                                                                     shell_lookup shell) {
  const std::map<std::string, std::string>* own = nullptr;
  if (file) {
    if (const auto by_id = file->per_function.find(fn.logical_id); by_id != file->per_function.end()) {
      own = &by_id->second;
    } else if (const auto by_name = file->per_function.find(fn.function_name); by_name != file->per_function.end()) {
      own = &by_name->second;
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(fn.environment.size());
  for (const auto& [name, template_value] : fn.environment) {
    std::string value = template_value;
    if (shell)
      if (const char* s = shell(name.c_str())) value = s;
    if (file)
      if (const auto p = file->all.find(name); p != file->all.end()) value = p->second;
    if (own)
      if (const auto f = own->find(name); f != own->end()) value = f->second;
    out.emplace_back(name, std::move(value));
  }
  return out;
}

} // namespace lemu::templates
