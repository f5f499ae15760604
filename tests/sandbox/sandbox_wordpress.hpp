#pragma once
// The Wordpress part of herald-sandbox (not emulated yet: no routes).

#include "tests/sandbox/sandbox_platform.hpp"

#include <string>

namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct WordpressSandboxConfig {};

/// Reads the `wordpress:` section of the sandbox YAML.
WordpressSandboxConfig load_wordpress_sandbox_config(const YAML::Node& node, const std::string& file);

class WordpressSandbox : public SandboxPlatform {
 public:
  explicit WordpressSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;

 private:
  Sandbox& sandbox_;
};

}  // namespace herald
