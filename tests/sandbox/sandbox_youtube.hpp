#pragma once
// The Youtube part of herald-sandbox (not emulated yet: no routes).

#include "tests/sandbox/sandbox_platform.hpp"

#include <string>

namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct YoutubeSandboxConfig {};

/// Reads the `youtube:` section of the sandbox YAML.
YoutubeSandboxConfig load_youtube_sandbox_config(const YAML::Node& node, const std::string& file);

class YoutubeSandbox : public SandboxPlatform {
 public:
  explicit YoutubeSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;

 private:
  Sandbox& sandbox_;
};

}  // namespace herald
