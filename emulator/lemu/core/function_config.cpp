#include <lemu/core/function_config.hpp>

namespace lemu::core {

std::string function_config::function_arn() const {
  return "arn:aws:lambda:" + region + ":" + account_id + ":function:" + function_name;
}

} // namespace lemu::core
