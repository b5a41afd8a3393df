// templates::load: the file read and parsed, then its functions resolved (template.hpp).
#include <lemu/template/properties.hpp>

#include <fstream>
#include <sstream>
#include <system_error>

namespace lemu::templates {
namespace {

std::string read_template(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw template_error("template " + file.string() + ": no such file");
  if (std::filesystem::is_directory(file, ec))
    throw template_error("template " + file.string() + ": is a folder, not a template file");
  if (const auto size = std::filesystem::file_size(file, ec); !ec && size > max_template_bytes) {
    throw template_error("template " + file.string() + ": " + std::to_string(size) + " bytes, over lemu's limit of " +
                         std::to_string(max_template_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  std::string text(max_template_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw template_error("template " + file.string() + ": cannot be read");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_template_bytes) throw template_error("template " + file.string() + ": over lemu's limit of " +
                                                             std::to_string(max_template_bytes) + " bytes");
  return text;
}

bool is_function_type(const std::string& type) {
  return type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function";
}

stack resolve_stack(const std::filesystem::path& file, const std::string& name, const YAML::Node& root,
                    const load_options& options) {
  stack s;
  s.file = std::filesystem::absolute(file).lexically_normal();
  if (!root.IsMap()) detail::fail(name, root.Mark(), "", "expected a template (a map with Resources), got " + detail::describe(root));
  const YAML::Node resources = detail::child(root, "Resources");
  if (!resources.IsDefined() || resources.IsNull()) throw template_error(name + ": no Resources section");
  if (!resources.IsMap())
    detail::fail(name, resources.Mark(), "Resources", "expected a map, got " + detail::describe(resources));
  const YAML::Node globals = detail::child(detail::child(root, "Globals"), "Function");
  if (globals.IsDefined() && !globals.IsNull() && !globals.IsMap())
    detail::fail(name, globals.Mark(), "Globals.Function", "expected a map, got " + detail::describe(globals));

  auto parameters = detail::read_parameters(name, root, options, s.warnings);
  // Errors name the file as the user gave it; paths are made from the absolute one.
  detail::resolver r(name, root, std::move(parameters), options, s.warnings);
  r.check_conditions();
  for (const auto& entry : resources) {
    const std::string id = entry.first.Scalar();
    const YAML::Node& resource = entry.second;
    if (!resource.IsMap())
      detail::fail(name, resource.Mark(), "Resources." + id, "expected a map, got " + detail::describe(resource));
    const YAML::Node type = detail::child(resource, "Type");
    if (!type.IsDefined() || !type.IsScalar())
      detail::fail(name, resource.Mark(), "Resources." + id + ".Type", "expected a resource type");
    if (type.Scalar() == "AWS::SQS::Queue") {
      if (auto q = detail::read_queue(r, id, resource)) s.queues.push_back(std::move(*q));
      continue;
    }
    if (!is_function_type(type.Scalar())) continue;
    if (auto fn = detail::read_function(r, id, resource, globals, s.file.parent_path())) s.functions.push_back(std::move(*fn));
  }
  return s;
}

} // namespace

const function* stack::find(const std::string& id_or_name) const {
  for (const auto& fn : functions)
    if (fn.logical_id == id_or_name) return &fn;
  for (const auto& fn : functions)
    if (fn.function_name == id_or_name) return &fn;
  return nullptr;
}

stack load(const std::filesystem::path& file, const load_options& options) {
  const std::string name = file.string();
  const std::string text = read_template(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    detail::fail(name, e.mark, "", e.msg);
  }
  try {
    return resolve_stack(file, name, root, options);
  } catch (const YAML::Exception& e) { // a yaml-cpp surprise is the template's problem, not a crash
    detail::fail(name, e.mark, "", e.msg);
  }
}

std::optional<std::filesystem::path> find_default_template(const std::filesystem::path& dir) {
  for (const char* candidate : {".aws-sam/build/template.yaml", "template.yaml", "template.yml"}) {
    std::error_code ec;
    const auto path = dir / candidate;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return std::nullopt;
}

} // namespace lemu::templates
