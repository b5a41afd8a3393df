#include "cli.hpp"
#include "init_process.hpp"

int main(int argc, char** argv) {
  lemu::cli::become_init_when_pid1();
  return lemu::cli::main(argc, argv);
}
