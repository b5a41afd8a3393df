#include <lemu/stats/record.hpp>

namespace lemu::stats {

const char* to_string(status s) {
  switch (s) {
  case status::success: return "success";
  case status::error: return "error";
  case status::timeout: return "timeout";
  case status::crash: return "crash";
  }
  return "unknown";
}

} // namespace lemu::stats
