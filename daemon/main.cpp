#include "daemon/cli.hpp"

#include <chrono>
#include <iostream>

int main(int argc, char** argv) {
  herald::CliContext ctx{std::cout, std::cerr,
                         std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())};
  return herald::run_cli(argc, argv, ctx);
}
