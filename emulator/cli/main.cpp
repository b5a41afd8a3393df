#include "cli.hpp"

int main(int argc, char** argv) { return lemu::cli::main(argc, argv); }
