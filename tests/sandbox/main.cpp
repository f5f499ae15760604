// herald-sandbox --listen HOST:PORT --config sandbox.yaml
// Serves the emulated platforms until SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "tests/sandbox/sandbox.hpp"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--listen" || arg == "--config") && i + 1 < argc) {
      (arg == "--listen" ? listen : config_path) = argv[++i];
    } else {
      std::cerr << "usage: herald-sandbox --listen HOST:PORT --config sandbox.yaml\n";
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  if (config_path.empty() || colon == std::string::npos) {
    std::cerr << "usage: herald-sandbox --listen HOST:PORT --config sandbox.yaml\n";
    return 2;
  }
  // Block the stop signals before any thread starts, so every thread inherits
  // the mask and main alone receives them through sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    auto config = herald::load_sandbox_config(config_path);
    config.requests_per_connection = 1000;  // kept alive, as a platform keeps herald's connections
    herald::Sandbox sandbox(std::move(config));
    std::string host = listen.substr(0, colon);
    sandbox.start(host, std::stoi(listen.substr(colon + 1)));
    // On stdout for scripts, and on stderr for a log file.
    std::cout << "listening on " << host << ':' << sandbox.port() << std::endl;
    std::cerr << "herald-sandbox: listening on " << host << ':' << sandbox.port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    sandbox.stop();
  } catch (const std::exception& e) {
    std::cerr << "herald-sandbox: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
