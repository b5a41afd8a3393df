// A template file (any bytes): read and resolved as lemu run --template reads one. Only templates::
// template_error may come out; anything else (a yaml-cpp exception let through, a crash, a hang in the
// resolver) is a finding.
#include <lemu/template/template.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("lemu-fuzz-template-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const auto stack = lemu::templates::load(file, {});
    for (const auto& fn : stack.functions) (void)stack.find(fn.logical_id);
  } catch (const lemu::templates::template_error&) {
  }
  return 0;
}
