#include "tests/sandbox/sandbox_facebook.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_util.hpp"

namespace herald {

FacebookSandboxConfig load_facebook_sandbox_config(const YAML::Node& node, const std::string& file) {
  reject_unknown_keys(node, {}, file);
  return {};
}

FacebookSandbox::FacebookSandbox(Sandbox& sandbox) : sandbox_(sandbox) {}

void FacebookSandbox::install(httplib::Server&) {}

void FacebookSandbox::reset() {}

}  // namespace herald
