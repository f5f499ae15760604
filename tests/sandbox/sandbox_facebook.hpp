#pragma once
// The Facebook part of herald-sandbox (not emulated yet: no routes).

#include "tests/sandbox/sandbox_platform.hpp"

#include <string>

namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct FacebookSandboxConfig {};

/// Reads the `facebook:` section of the sandbox YAML.
FacebookSandboxConfig load_facebook_sandbox_config(const YAML::Node& node, const std::string& file);

class FacebookSandbox : public SandboxPlatform {
 public:
  explicit FacebookSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;

 private:
  Sandbox& sandbox_;
};

}  // namespace herald
