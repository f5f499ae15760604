#include "tests/sandbox/sandbox_wordpress.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_util.hpp"

namespace herald {

WordpressSandboxConfig load_wordpress_sandbox_config(const YAML::Node& node, const std::string& file) {
  reject_unknown_keys(node, {}, file);
  return {};
}

WordpressSandbox::WordpressSandbox(Sandbox& sandbox) : sandbox_(sandbox) {}

void WordpressSandbox::install(httplib::Server&) {}

void WordpressSandbox::reset() {}

}  // namespace herald
