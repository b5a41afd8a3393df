#include "cli.hpp"
#include "init_process.hpp"
#include "rie_command.hpp"

#include <string>
#include <vector>

int main(int argc, char** argv) {
  lemu::cli::become_init_when_pid1();
  if (lemu::cli::invoked_as_rie(argv[0])) {
    lemu::cli::configure_logging();
    return lemu::cli::rie_main(std::vector<std::string>(argv + 1, argv + argc));
  }
  return lemu::cli::main(argc, argv);
}
